import { tenantFilters } from "../db/endpoints";
import { TenantMissing } from "../db/messages";
import { matchesFilter, type PayloadFilter } from "../filters/payload-filter";
import { IsolateCache } from "../lib/isolate-cache";
import type { EnqueueRequest } from "./enqueue-request";

/**
 * Enqueue's payload filters (CONTRACT.md "Delivery control"), evaluated in the Worker at fan-out.
 * Fan-out itself runs in SQL inside enqueue's one D1 batch (src/db/message-batch.ts), which cannot
 * run the filter language, so the Worker tells it which filtered endpoints each payload passed.
 *
 * What a tenant's filters are is kept in this isolate with no expiry, at the tenant's
 * filters_version; the D1 batch stores nothing unless that version is still the tenant's (shard
 * triggers bump it on every change of a filter, to at least the current epoch ms, so a tenant id
 * deleted and created again never repeats a version: migrations/shard/0013), so a stale copy costs a rolled-back batch, one
 * read and a retry, and never a delivery by an old filter. A tenant this isolate has not seen is
 * taken to have version 0 and no filters, which is what a tenant that never set a filter has: so
 * enqueue without filters reads nothing and parses no payload, and a tenant with filters pays one
 * read per isolate (and per filter edit).
 *
 * Work is bounded: each message's payload is the value the route parsed, looked at only when it fans out (no explicit
 * `endpoint_ids`) and the tenant has a filtered endpoint, and each filter costs what
 * src/filters/payload-filter.ts bounds.
 */

/** A tenant's filters as enqueue evaluates them. */
export interface Filters {
  /** The tenant's filters_version this copy was read at. */
  version: number;
  endpoints: Array<{ id: string; filter: PayloadFilter }>;
}

const NO_FILTERS: Filters = { version: 0, endpoints: [] };

const cache = new IsolateCache<string, Filters>({ ttlMs: Infinity, maxEntries: 1000 });

/** The tenant's filters as this isolate last read them; a tenant it has not read has none. */
export function knownFilters(tenantId: string): Filters {
  return cache.get(tenantId) ?? NO_FILTERS;
}

/**
 * Reads the tenant's filters afresh (one D1 read) and keeps them: after the D1 batch refused a stale copy.
 * @throws TenantMissing when the tenant is not on this shard
 */
export async function readFilters(db: D1Database, tenantId: string): Promise<Filters> {
  const read = cache.readStarts();
  const stored = await tenantFilters(db, tenantId);
  if (!stored) throw new TenantMissing();
  const filters = { version: stored.version, endpoints: stored.endpoints.map(({ id, filter }) => ({ id, filter: JSON.parse(filter) as PayloadFilter })) };
  cache.set(tenantId, filters, { read });
  return filters;
}

/**
 * The ids of the filtered endpoints whose filter the message's payload passes, or undefined when
 * none is evaluated: explicit `endpoint_ids` skip filters as they skip events and source (the
 * platform chose the receiver), and a tenant without filters has nothing to evaluate.
 */
export function passedFilters(filters: Filters, request: EnqueueRequest): string[] | undefined {
  if (request.endpointIds || filters.endpoints.length === 0) return undefined;
  return filters.endpoints.flatMap(({ id, filter }) => (matchesFilter(filter, request.value) ? [id] : []));
}
