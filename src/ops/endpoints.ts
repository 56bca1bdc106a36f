import * as stored from "../db/endpoints";
import { isInterruptedD1Error } from "../db/transient";
import { readConfig } from "../config";
import { ApiError, notFound } from "../errors";
import { DEFAULT_ROTATION_GRACE_SECONDS, MAX_JSON_DEPTH } from "../limits";
import { describeJsonSyntaxError, jsonSyntaxError } from "../lib/json-syntax";
import { EventType } from "../schemas/fields";
import { jsonDepthExceeds } from "../security/json-depth";
import { latestSecretSet, rotateOwnerSecret } from "./secret-rotation";
import { purgeSecretOrQueue } from "./secret-purges";
import { createSecret, deleteSecret, type SecretSet } from "../secrets";
import { keyKindOf, keyKindOfScheme, publicKeyOf } from "../security/signing-keys";
import type { CreateEndpointInput, Endpoint, UpdateEndpointInput } from "../schemas/endpoints";
import { assertAllowedTarget, assertHeadersFitSignature, normalizedKeyInput, wrongKeyKind } from "./guards";
import type { EnqueueResponse } from "../schemas/messages";
import { enqueueMessage } from "./messages";
import { emitOperationalEvents } from "./operational-events";
import type { OperationalEvent } from "../schemas/operational";
import { onTenantShard, tenantDb } from "./tenant-db";

/**
 * Endpoints: every rule about creating, changing and removing a tenant's endpoints and their
 * signing secrets, for the API and the dashboard alike. Errors are ApiErrors (404 for an endpoint
 * that is not the tenant's, 400/503 from the guards).
 */

/** One endpoint of the tenant, or null when it has none with this id. */
export async function findEndpoint(env: Env, tenantId: string, endpointId: string): Promise<Endpoint | null> {
  const { db } = await tenantDb(env, tenantId);
  return stored.getEndpoint(db, tenantId, endpointId);
}

/** One endpoint of the tenant on its shard `db`; 404 when it has none with this id (another tenant's id included). */
export async function endpointOn(db: D1Database, tenantId: string, endpointId: string): Promise<Endpoint> {
  const endpoint = await stored.getEndpoint(db, tenantId, endpointId);
  if (!endpoint) throw notFound("Endpoint");
  return endpoint;
}

/** One endpoint of the tenant; 404 when it has none with this id (another tenant's id included). */
export async function getEndpoint(env: Env, tenantId: string, endpointId: string): Promise<Endpoint> {
  const { db } = await tenantDb(env, tenantId);
  return endpointOn(db, tenantId, endpointId);
}

/** A page of the tenant's endpoints, oldest first, optionally filtered by source and enabled. */
export async function listEndpoints(
  env: Env,
  tenantId: string,
  query: { source?: string; enabled?: boolean; limit: number; cursor?: string },
): ReturnType<typeof stored.listEndpoints> {
  const { db } = await tenantDb(env, tenantId);
  return stored.listEndpoints(db, tenantId, query);
}

/**
 * Creates an endpoint after the target guard and the signature-header check, with its signing
 * key (the given one, or a fresh one of the kind its scheme signs with: `whsec_` for `standard` and
 * `hmac-sha256`, `whsk_` for `ed25519`). The key is written first and removed again if the row
 * cannot be (kept when a lost connection leaves that unknown), so an endpoint row never exists without its key. The row goes where the tenant's
 * mirror row is (onTenantShard): 404 when the tenant is gone; 400 when a supplied key is of the
 * wrong kind for the scheme or a malformed 64-byte `whsk_` key. Returns the endpoint and `secret`:
 * the HMAC secret, or for an ed25519 endpoint its public key (the private key is never shown).
 */
export async function createEndpoint(
  env: Env,
  tenantId: string,
  input: CreateEndpointInput,
  now = Date.now(),
): Promise<Endpoint & { secret: string }> {
  await assertAllowedTarget(env, input.url, "url");
  const signature = input.signature ?? { scheme: "standard" as const };
  assertHeadersFitSignature(input.headers ?? {}, signature);
  const kind = keyKindOfScheme(signature.scheme);
  const supplied = await normalizedKeyInput(input.secret);
  if (supplied !== undefined && keyKindOf(supplied) !== kind) throw wrongKeyKind(kind);
  const id = crypto.randomUUID();
  const secret = await createSecret(env, { kind: "endpoint", id }, supplied, kind);
  try {
    const publicKey = await publicKeyOf(secret);
    const endpoint = await onTenantShard(env, tenantId, ({ db }) => stored.insertEndpoint(db, tenantId, id, input, now, publicKey));
    return { ...endpoint, secret: publicKey ?? secret };
  } catch (error) {
    // A lost connection may have stored the row: its key stays, so no endpoint row is ever without one.
    if (!isInterruptedD1Error(error)) await deleteSecret(env, { kind: "endpoint", id });
    throw error;
  }
}

/**
 * Applies a partial update after the same guards as creation: a new URL must pass the target
 * guard, and custom headers must not collide with the signature header the endpoint will have.
 * A change of scheme between the HMAC schemes and `ed25519` also changes the key: a fresh one of
 * the new kind (or `secret`, which must be of that kind) through a rotation whose version claim
 * writes the new scheme and public key into the row in one statement, the old key co-signing for
 * DEFAULT_ROTATION_GRACE_SECONDS; the rest of the patch is applied afterwards. `secret` is refused
 * (400) on any other PATCH: rotating is `POST …/secret/rotate`. 409 as for a rotation.
 * Turning `enabled` on or off emits `endpoint.enabled` / `endpoint.disabled` (reason `manual`),
 * once per actual change (src/ops/operational-events.ts).
 */
export async function updateEndpoint(
  env: Env,
  tenantId: string,
  endpointId: string,
  patch: UpdateEndpointInput,
  now = Date.now(),
): Promise<Endpoint> {
  if (patch.url !== undefined) await assertAllowedTarget(env, patch.url, "url");
  const { db } = await tenantDb(env, tenantId);
  const { secret: suppliedKey, ...fields } = patch;
  if (patch.headers !== undefined || patch.signature !== undefined || suppliedKey !== undefined) {
    const current = await endpointOn(db, tenantId, endpointId);
    assertHeadersFitSignature(patch.headers ?? current.headers, patch.signature ?? current.signature);
    const kind = keyKindOfScheme((patch.signature ?? current.signature).scheme);
    if (kind !== keyKindOfScheme(current.signature.scheme)) {
      const secret = await normalizedKeyInput(suppliedKey);
      if (secret !== undefined && keyKindOf(secret) !== kind) throw wrongKeyKind(kind);
      const signature = { next: JSON.stringify(patch.signature), previous: JSON.stringify(current.signature) };
      const owner = { kind: "endpoint" as const, id: endpointId };
      const set = await rotateOwnerSecret(env, db, tenantId, owner, { graceSeconds: DEFAULT_ROTATION_GRACE_SECONDS, secret, kind, signature });
      if (!set) throw notFound("Endpoint");
    } else if (suppliedKey !== undefined) {
      throw new ApiError(400, "validation_failed", "The request body is invalid", [
        { path: "secret", message: "a key is set here only with a change of scheme between hmac (standard, hmac-sha256) and ed25519; use POST …/secret/rotate" },
      ]);
    }
  }
  const updated = await stored.updateEndpoint(db, tenantId, endpointId, fields, now);
  if (!updated) throw notFound("Endpoint");
  const { endpoint, wasEnabled } = updated;
  if (endpoint.enabled !== wasEnabled) await emitOperationalEvents(env, [enabledChange(endpoint, now)]);
  return endpoint;
}

/** The operational event of an endpoint enabled or disabled by hand. */
function enabledChange(endpoint: Endpoint, now: number): OperationalEvent {
  const about = { tenant_id: endpoint.tenant_id, endpoint_id: endpoint.id, occurred_at: new Date(now).toISOString() };
  if (endpoint.enabled) return { type: "endpoint.enabled", ...about };
  return { type: "endpoint.disabled", ...about, reason: "manual", detail: endpoint.disabled_reason };
}

/**
 * Deletes an endpoint, then its signing secret (queued for the sweeper when KV fails: the endpoint
 * is gone, and a retry would be a 404); pending deliveries to it are cancelled when they come up.
 */
export async function deleteEndpoint(env: Env, tenantId: string, endpointId: string): Promise<void> {
  const { db } = await tenantDb(env, tenantId);
  if (!(await stored.deleteEndpoint(db, tenantId, endpointId))) throw notFound("Endpoint");
  await purgeSecretOrQueue(env, { kind: "endpoint", id: endpointId });
}

/**
 * The endpoint's secret set as its latest rotation left it; 404 when the tenant has no such endpoint.
 * @throws SecretNotVisibleYet (503) while KV in this location still shows no set or an older one
 */
export async function endpointSecret(env: Env, tenantId: string, endpointId: string): Promise<SecretSet> {
  const { db } = await tenantDb(env, tenantId);
  const set = await latestSecretSet(env, db, tenantId, { kind: "endpoint", id: endpointId });
  if (!set) throw notFound("Endpoint");
  return set;
}

/**
 * Rotates the endpoint's key (to `secret`, or a fresh one of the same kind); the old one keeps
 * co-signing for `graceSeconds`, serialised with concurrent rotations (src/ops/secret-rotation.ts).
 * 404 when the tenant has no such endpoint; 400 when `secret` is not of the kind the endpoint's
 * scheme signs with; 409 `conflict` when other rotations kept winning.
 */
export async function rotateEndpointSecret(
  env: Env,
  tenantId: string,
  endpointId: string,
  graceSeconds: number,
  secret?: string,
): Promise<SecretSet> {
  const { db } = await tenantDb(env, tenantId);
  const key = await normalizedKeyInput(secret);
  const set = await rotateOwnerSecret(env, db, tenantId, { kind: "endpoint", id: endpointId }, { graceSeconds, secret: key });
  if (!set) throw notFound("Endpoint");
  return set;
}

/** The event type of a test event unless another is chosen. */
export const TEST_EVENT = "webhook.test";

/**
 * The event types offered for a test event to `endpoint`: `webhook.test`, then each event it
 * subscribes to, a pattern standing for one of its events (`document.*` as `document.test`).
 */
export function testEventTypes(endpoint: Endpoint): string[] {
  const fromPatterns = endpoint.events.map((p) => (p === "*" ? TEST_EVENT : p.endsWith("*") ? `${p.slice(0, -1).replace(/[._:-]$/, "")}.test` : p));
  return [...new Set([TEST_EVENT, ...fromPatterns.filter((e) => EventType.safeParse(e).success)])];
}

/** The payload a test event starts from, as indented JSON text the customer may edit. */
export function examplePayload(endpointId: string, event: string, now = Date.now()): string {
  return JSON.stringify({ type: event, endpoint_id: endpointId, sent_at: new Date(now).toISOString() }, null, 2);
}

/**
 * Sends a test message to one endpoint of the tenant (the API's `POST …/test` and the dashboard's
 * "Send test event"): `webhook.test` with the example payload unless `event` and `payload` (JSON
 * text, sent exactly as given) say otherwise. 404 when the tenant has no such endpoint; 400
 * `validation_failed` for an event type that is not one, 400 `invalid_json` for a payload that is
 * not JSON or nests deeper than MAX_JSON_DEPTH, 413 above MAX_PAYLOAD_BYTES.
 */
export async function sendTestEvent(env: Env, tenantId: string, endpointId: string, input: { event?: string; payload?: string } = {}): Promise<EnqueueResponse> {
  await getEndpoint(env, tenantId, endpointId);
  const event = input.event ?? TEST_EVENT;
  if (!EventType.safeParse(event).success) throw new ApiError(400, "validation_failed", `"${event}" is not an event type`);
  const payload = input.payload?.trim() ?? JSON.stringify({ type: event, endpoint_id: endpointId, sent_at: new Date().toISOString() });
  let parsed: unknown;
  try {
    parsed = JSON.parse(payload);
  } catch {
    const where = jsonSyntaxError(payload);
    throw new ApiError(400, "invalid_json", `The payload is not valid JSON${where ? `: ${describeJsonSyntaxError(where)}` : ""}`);
  }
  if (jsonDepthExceeds(parsed, MAX_JSON_DEPTH)) throw new ApiError(400, "invalid_json", `The payload nests deeper than ${MAX_JSON_DEPTH} levels`);
  const { response } = await enqueueMessage(env, { tenantId, event, payload, value: parsed, source: null, endpointIds: [endpointId] });
  return response;
}
