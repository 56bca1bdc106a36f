import { ApiError, notFound } from "../errors";
import type { CreateEndpointInput, Endpoint, UpdateEndpointInput } from "../schemas/endpoints";
import type { SecretSet } from "../secrets";
import { shardIndexOfTenant } from "../db/tenants";
import { rememberTenantShard, tenantShard } from "../shards";
import { getDelivery, replayDelivery } from "./deliveries";
import * as endpoints from "./endpoints";
import { getMessage, listMessages } from "./messages";
import { PLATFORM_TENANT_ID } from "./operational-events";
import { createTenant } from "./tenants";

/**
 * Operational endpoints: the platform's own endpoints for operational events, which are the
 * endpoints of the reserved tenant PLATFORM_TENANT_ID. Every rule of tenant endpoints applies to
 * them (the same operations run); the platform tenant is made with the first one. Before that it
 * does not exist, and reads answer as if it were empty (404 for an id, an empty list).
 */

const PLATFORM_NAME = "Edgehook platform (operational events)";

/** Whether the platform tenant exists yet. */
async function platformExists(env: Env): Promise<boolean> {
  return (await tenantShard(env, PLATFORM_TENANT_ID)) !== null;
}

/** Runs `operation` on the platform tenant, or answers 404 `what` when it does not exist yet. */
async function onPlatform<T>(env: Env, what: string, operation: () => Promise<T>): Promise<T> {
  if (!(await platformExists(env))) throw notFound(what);
  return operation();
}

/**
 * Creates the platform tenant unless it exists (two first creations at once both succeed). Asks
 * the control database itself, not this isolate's cache of shards, which may predate a deletion.
 */
async function ensurePlatformTenant(env: Env): Promise<void> {
  const shard = await shardIndexOfTenant(env.DB, PLATFORM_TENANT_ID);
  if (shard !== null) return rememberTenantShard(PLATFORM_TENANT_ID, shard);
  try {
    await createTenant(env, { id: PLATFORM_TENANT_ID, name: PLATFORM_NAME });
  } catch (error) {
    if (!(error instanceof ApiError && error.status === 409)) throw error;
  }
}

/**
 * Refuses a `source` filter: operational events have none a client could name (src/ops/operational-events.ts
 * OPERATIONAL_SOURCE), so an endpoint with one would silently receive nothing.
 * @throws ApiError 400 `validation_failed` naming `source`
 */
function assertNoSource(input: { source?: string | null }): void {
  if (input.source === undefined || input.source === null) return;
  throw new ApiError(400, "validation_failed", "The request body is invalid", [
    { path: "source", message: "operational events have no source to filter on: leave it null" },
  ]);
}

/** Creates an operational endpoint (the platform tenant with it, the first time); its secret is in the result. 400 for a `source`. */
export async function createOperationalEndpoint(env: Env, input: CreateEndpointInput): Promise<Endpoint & { secret: string }> {
  assertNoSource(input);
  await ensurePlatformTenant(env);
  return endpoints.createEndpoint(env, PLATFORM_TENANT_ID, input);
}

/** A page of operational endpoints, oldest first. */
export async function listOperationalEndpoints(env: Env, query: Parameters<typeof endpoints.listEndpoints>[2]): ReturnType<typeof endpoints.listEndpoints> {
  if (!(await platformExists(env))) return { data: [], next_cursor: null };
  return endpoints.listEndpoints(env, PLATFORM_TENANT_ID, query);
}

/** One operational endpoint; 404 when there is none with this id (a tenant's endpoint id included). */
export function getOperationalEndpoint(env: Env, id: string): Promise<Endpoint> {
  return onPlatform(env, "Endpoint", () => endpoints.getEndpoint(env, PLATFORM_TENANT_ID, id));
}

/** Changes an operational endpoint under the rules of tenant endpoints (400 for a `source`); 404 as getOperationalEndpoint. */
export async function updateOperationalEndpoint(env: Env, id: string, patch: UpdateEndpointInput): Promise<Endpoint> {
  assertNoSource(patch);
  return onPlatform(env, "Endpoint", () => endpoints.updateEndpoint(env, PLATFORM_TENANT_ID, id, patch));
}

/** Deletes an operational endpoint and its secret; 404 as getOperationalEndpoint. */
export function deleteOperationalEndpoint(env: Env, id: string): Promise<void> {
  return onPlatform(env, "Endpoint", () => endpoints.deleteEndpoint(env, PLATFORM_TENANT_ID, id));
}

/** An operational endpoint's secret set; 404 as getOperationalEndpoint. */
export function operationalEndpointSecret(env: Env, id: string): Promise<SecretSet> {
  return onPlatform(env, "Endpoint", () => endpoints.endpointSecret(env, PLATFORM_TENANT_ID, id));
}

/** Rotates an operational endpoint's secret, as for a tenant endpoint; 404 as getOperationalEndpoint. */
export function rotateOperationalEndpointSecret(env: Env, id: string, graceSeconds: number, secret?: string): Promise<SecretSet> {
  return onPlatform(env, "Endpoint", () => endpoints.rotateEndpointSecret(env, PLATFORM_TENANT_ID, id, graceSeconds, secret));
}

/** Sends a `webhook.test` message to one operational endpoint; 404 as getOperationalEndpoint. */
export function testOperationalEndpoint(env: Env, id: string): ReturnType<typeof endpoints.sendTestEvent> {
  return onPlatform(env, "Endpoint", () => endpoints.sendTestEvent(env, PLATFORM_TENANT_ID, id));
}

/** An operational message (one event) with its payload and each delivery's state; 404 when there is none with this id. */
export function getOperationalMessage(env: Env, id: string): ReturnType<typeof getMessage> {
  return onPlatform(env, "Message", () => getMessage(env, PLATFORM_TENANT_ID, id));
}

/** A page of operational messages, newest first, optionally of one event type. */
export async function listOperationalMessages(env: Env, query: Parameters<typeof listMessages>[2]): ReturnType<typeof listMessages> {
  if (!(await platformExists(env))) return { data: [], next_cursor: null };
  return listMessages(env, PLATFORM_TENANT_ID, query);
}

/** One delivery of an operational event with its attempts; 404 when there is none with this id. */
export function getOperationalDelivery(env: Env, id: string): ReturnType<typeof getDelivery> {
  return onPlatform(env, "Delivery", () => getDelivery(env, PLATFORM_TENANT_ID, id));
}

/** Replays a delivery of an operational event, whatever its state; 404 when there is none with this id. */
export function replayOperationalDelivery(env: Env, id: string): ReturnType<typeof replayDelivery> {
  return onPlatform(env, "Delivery", () => replayDelivery(env, PLATFORM_TENANT_ID, id));
}
