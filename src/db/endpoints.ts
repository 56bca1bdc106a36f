import type { CreateEndpointInput, Endpoint, UpdateEndpointInput } from "../schemas/endpoints";
import { DEFAULT_RATE_BURST, DEFAULT_TIMEOUT_MS } from "../limits";
import { TenantMissing } from "./messages";
import { decodeCursor, iso, paginate } from "./pagination";
import { deleteEndpointStats } from "./endpoint-stats";

/** An endpoints row as D1 returns it. */
export interface EndpointRow {
  id: string;
  tenant_id: string;
  url: string;
  name: string | null;
  description: string | null;
  events: string;
  source: string | null;
  headers: string;
  enabled: number;
  signature: string;
  retry: string;
  timeout_ms: number;
  rate_limit: string | null;
  max_in_flight: number | null;
  public_key: string | null;
  /** JSON text of the payload filter, or null (match all). */
  filter: string | null;
  ordering: "none" | "fifo";
  disabled_reason: string | null;
  failing_since: number | null;
  slow_since: number | null;
  created_at: number;
  updated_at: number;
}

/** The stored rate limit (JSON `{per_second, burst?}`) with its burst made explicit, or null. */
function rateLimitOf(stored: string | null): Endpoint["rate_limit"] {
  if (!stored) return null;
  const { per_second, burst } = JSON.parse(stored) as { per_second: number; burst?: number };
  return { per_second, burst: burst ?? DEFAULT_RATE_BURST };
}

/** Maps a row to the API's endpoint object. */
export function toEndpoint(row: EndpointRow): Endpoint {
  return {
    id: row.id,
    tenant_id: row.tenant_id,
    url: row.url,
    name: row.name,
    description: row.description,
    events: JSON.parse(row.events),
    source: row.source,
    headers: JSON.parse(row.headers),
    enabled: row.enabled === 1,
    disabled_reason: row.disabled_reason,
    failing_since: row.failing_since === null ? null : iso(row.failing_since),
    signature: JSON.parse(row.signature),
    retry: JSON.parse(row.retry),
    timeout_ms: row.timeout_ms,
    rate_limit: rateLimitOf(row.rate_limit),
    max_in_flight: row.max_in_flight,
    filter: row.filter === null ? null : JSON.parse(row.filter),
    ordering: row.ordering,
    delivery_lane: row.slow_since === null ? "main" : "slow",
    ...(row.public_key ? { public_key: row.public_key } : {}),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
  };
}

/**
 * Inserts an endpoint built from a validated create request, in the slow delivery lane until its
 * receiver answers quickly (src/delivery/lanes.ts), selected from the tenant's mirror row, with the
 * public key of its signing key (null for an HMAC secret).
 * @throws TenantMissing when the tenant is not on this shard (deleted, or moved by a re-creation): nothing was stored
 */
export async function insertEndpoint(...args: Parameters<typeof insertEndpointStatement>): Promise<Endpoint> {
  const row = await insertEndpointStatement(...args).first<EndpointRow>();
  if (!row) throw new TenantMissing();
  return toEndpoint(row);
}

/**
 * The statement insertEndpoint runs, returning the new row (none when the tenant is not on this
 * shard), so that many endpoints can be written in one D1 batch (test seeding: test/support/seed.ts).
 */
export function insertEndpointStatement(
  db: D1Database,
  tenantId: string,
  id: string,
  input: CreateEndpointInput,
  now: number,
  publicKey: string | null = null,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO endpoints (id, tenant_id, url, name, description, events, source, headers, enabled,
         signature, retry, timeout_ms, rate_limit, max_in_flight, created_at, updated_at, slow_since, public_key, filter, ordering)
       SELECT ?1, id, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?15, ?17, ?18, ?19 FROM tenants WHERE id = ?2 RETURNING *`,
    )
    .bind(
      id,
      tenantId,
      input.url,
      input.name ?? null,
      input.description ?? null,
      JSON.stringify(input.events ?? []),
      input.source ?? null,
      JSON.stringify(input.headers ?? {}),
      input.enabled === false ? 0 : 1,
      JSON.stringify(input.signature ?? { scheme: "standard" }),
      JSON.stringify(input.retry ?? {}),
      input.timeout_ms ?? DEFAULT_TIMEOUT_MS,
      input.rate_limit ? JSON.stringify(input.rate_limit) : null,
      input.max_in_flight ?? null,
      now,
      now,
      publicKey,
      input.filter ? JSON.stringify(input.filter) : null,
      input.ordering ?? "none",
    );
}

/** One endpoint of a tenant, or null. */
export async function getEndpoint(db: D1Database, tenantId: string, id: string): Promise<Endpoint | null> {
  const row = await db
    .prepare("SELECT * FROM endpoints WHERE id = ? AND tenant_id = ?")
    .bind(id, tenantId)
    .first<EndpointRow>();
  return row ? toEndpoint(row) : null;
}

/** The ids among `ids` that are endpoints of the tenant. */
export async function existingEndpointIds(db: D1Database, tenantId: string, ids: string[]): Promise<Set<string>> {
  const { results } = await db
    .prepare("SELECT id FROM endpoints WHERE tenant_id = ? AND id IN (SELECT value FROM json_each(?))")
    .bind(tenantId, JSON.stringify(ids))
    .all<{ id: string }>();
  return new Set(results.map((r) => r.id));
}

/** A tenant's payload filters as enqueue evaluates them: the tenant's filters_version and every endpoint that has a filter. */
export interface TenantFilters {
  /** Bumped by the shard's triggers whenever a filtered endpoint's filter, events or source changes. */
  version: number;
  endpoints: Array<{ id: string; filter: string }>;
}

/**
 * The tenant's filters_version and filtered endpoints, in one read (the tenant's mirror row and its
 * endpoints' rows), or null when the tenant is not on this shard.
 */
export async function tenantFilters(db: D1Database, tenantId: string): Promise<TenantFilters | null> {
  const { results } = await db
    .prepare(
      `SELECT t.filters_version AS version, e.id, e.filter FROM tenants AS t
       LEFT JOIN endpoints AS e ON e.tenant_id = t.id AND e.filter IS NOT NULL
       WHERE t.id = ?`,
    )
    .bind(tenantId)
    .all<{ version: number; id: string | null; filter: string | null }>();
  if (results.length === 0) return null;
  return {
    version: results[0]!.version,
    endpoints: results.flatMap((r) => (r.id !== null && r.filter !== null ? [{ id: r.id, filter: r.filter }] : [])),
  };
}

/** A page of a tenant's endpoints, oldest first, optionally filtered by source and enabled. */
export async function listEndpoints(
  db: D1Database,
  tenantId: string,
  query: { source?: string; enabled?: boolean; limit: number; cursor?: string },
) {
  const after = decodeCursor(query.cursor);
  const { results } = await db
    .prepare(
      `SELECT * FROM endpoints
       WHERE tenant_id = ?1
         AND (?2 IS NULL OR source = ?2)
         AND (?3 IS NULL OR enabled = ?3)
         AND (?4 IS NULL OR (created_at, id) > (?4, ?5))
       ORDER BY created_at, id
       LIMIT ?6`,
    )
    .bind(
      tenantId,
      query.source ?? null,
      query.enabled === undefined ? null : Number(query.enabled),
      after?.createdAt ?? null,
      after?.id ?? null,
      query.limit + 1,
    )
    .all<EndpointRow>();
  const { page, next_cursor } = paginate(results, query.limit);
  return { data: page.map(toEndpoint), next_cursor };
}

/**
 * Applies a validated partial update; re-enabling an endpoint clears why it was disabled and its
 * failure streak. Returns the updated endpoint and whether it was enabled just before this write
 * (read atomically with it), or null when the tenant has no such endpoint.
 */
export async function updateEndpoint(
  db: D1Database,
  tenantId: string,
  id: string,
  patch: UpdateEndpointInput,
  now: number,
): Promise<{ endpoint: Endpoint; wasEnabled: boolean } | null> {
  const sets: string[] = [];
  const values: unknown[] = [];
  const set = (column: string, value: unknown) => {
    sets.push(`${column} = ?`);
    values.push(value);
  };
  if (patch.url !== undefined) {
    set("url", patch.url);
    // A new receiver starts in the slow delivery lane until it answers quickly (src/delivery/lanes.ts).
    set("slow_since", now);
  }
  if (patch.name !== undefined) set("name", patch.name);
  if (patch.description !== undefined) set("description", patch.description);
  if (patch.events !== undefined) set("events", JSON.stringify(patch.events));
  if (patch.source !== undefined) set("source", patch.source);
  if (patch.headers !== undefined) set("headers", JSON.stringify(patch.headers));
  if (patch.signature !== undefined) set("signature", JSON.stringify(patch.signature));
  if (patch.retry !== undefined) set("retry", JSON.stringify(patch.retry));
  if (patch.timeout_ms !== undefined) set("timeout_ms", patch.timeout_ms);
  if (patch.rate_limit !== undefined) set("rate_limit", patch.rate_limit ? JSON.stringify(patch.rate_limit) : null);
  if (patch.max_in_flight !== undefined) set("max_in_flight", patch.max_in_flight);
  if (patch.filter !== undefined) set("filter", patch.filter ? JSON.stringify(patch.filter) : null);
  if (patch.ordering !== undefined) set("ordering", patch.ordering);
  if (patch.enabled !== undefined) {
    set("enabled", Number(patch.enabled));
    if (patch.enabled) {
      set("disabled_reason", null);
      set("failing_since", null);
      set("last_failed_at", null);
    } else {
      set("disabled_reason", "disabled by request");
    }
  }
  set("updated_at", now);
  const update = db.prepare(`UPDATE endpoints SET ${sets.join(", ")} WHERE id = ? AND tenant_id = ? RETURNING *`).bind(...values, id, tenantId);
  if (patch.enabled === undefined) {
    const row = await update.first<EndpointRow>();
    return row ? { endpoint: toEndpoint(row), wasEnabled: row.enabled === 1 } : null;
  }
  // Read in the same transaction as the write, so of two requests flipping it only one sees a change.
  const [before, after] = await db.batch<{ enabled: number } | EndpointRow>([
    db.prepare("SELECT enabled FROM endpoints WHERE id = ? AND tenant_id = ?").bind(id, tenantId),
    update,
  ]);
  const row = after!.results[0] as EndpointRow | undefined;
  return row ? { endpoint: toEndpoint(row), wasEnabled: before!.results[0]!.enabled === 1 } : null;
}

/** Deletes an endpoint and its stats; returns whether the tenant had it. */
export async function deleteEndpoint(db: D1Database, tenantId: string, id: string): Promise<boolean> {
  const [result] = await db.batch([db.prepare("DELETE FROM endpoints WHERE id = ? AND tenant_id = ?").bind(id, tenantId), ...deleteEndpointStats(db, tenantId, id)]);
  return result!.meta.changes > 0;
}
