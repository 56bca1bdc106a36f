/**
 * The reserved names of operational events (src/ops/operational-events.ts), in a module of their
 * own so that enqueue's checks can tell operational messages apart without importing the module
 * that sends them (which itself enqueues: the two would import each other).
 */

/**
 * The reserved tenant whose endpoints are the operational endpoints. Tenant ids must start with a
 * letter or digit, so no one can create, address or delete it through the tenant routes.
 */
export const PLATFORM_TENANT_ID = "_platform";

/**
 * The `source` of every operational message. Sources must start with a letter or digit, so no
 * tenant can send one: it tells operational messages apart (no event is emitted about their own
 * failures when they reach a tenant's endpoints, so two failing subscribers never feed each other;
 * enqueue never checks them against the event-type catalogue).
 */
export const OPERATIONAL_SOURCE = "_edgehook";
