/**
 * Cloudflare list prices (USD, Workers Paid plan) that Edgehook's cost model needs, in one place.
 * SCALING.md tables the same figures with the same sources. Every figure was read on
 * PRICES_AS_OF from the page named next to it; a page that shows its own "last updated" date
 * says so. List prices change: re-read the pages before trusting a total, and update the date.
 *
 * Units are in the names: `PerMillion` is USD per 1,000,000 units, `PerGbMonth` is USD per
 * GB-month (GB = 10^9 bytes, see BYTES_PER_GB), `PerMillionGbS` is USD per 1,000,000 GB-seconds.
 */

/** The day every figure in this module was read (ISO date). */
export const PRICES_AS_OF = "2026-11-29";

/**
 * Bytes in the GB the storage prices are quoted in. Durable Objects bills "1 GB = 1,000,000,000
 * bytes" (https://developers.cloudflare.com/durable-objects/platform/limits/); the R2 limits page
 * distinguishes GB (10^9) from GiB (https://developers.cloudflare.com/r2/platform/limits/). The D1
 * and KV pricing pages do not define their GB; 10^9 is assumed for them too.
 */
export const BYTES_PER_GB = 1_000_000_000;

/** Unit prices above the monthly allowance (WORKERS_PAID_INCLUDED), by product. */
export const PRICES = {
  workers: {
    /** $0.30 per additional million inbound requests; subrequests are not billed. Read 2026-11-29, https://developers.cloudflare.com/workers/platform/pricing/ */
    requestsPerMillion: 0.3,
    /** $0.02 per additional million CPU milliseconds. Read 2026-11-29, https://developers.cloudflare.com/workers/platform/pricing/ */
    cpuMsPerMillion: 0.02,
    /** The Workers Paid plan's minimum charge per account and month. Read 2026-11-29, https://developers.cloudflare.com/workers/platform/pricing/ */
    planPerMonth: 5,
  },
  d1: {
    /** $0.001 per million rows read (scanned, not returned). Read 2026-11-29, https://developers.cloudflare.com/d1/platform/pricing/ */
    rowsReadPerMillion: 0.001,
    /** $1.00 per million rows written; INSERT, UPDATE and DELETE all count, and each index touched adds a row. Read 2026-11-29, https://developers.cloudflare.com/d1/platform/pricing/ */
    rowsWrittenPerMillion: 1.0,
    /** $0.75 per GB-month of storage. Read 2026-11-29, https://developers.cloudflare.com/d1/platform/pricing/ */
    storagePerGbMonth: 0.75,
  },
  queues: {
    /**
     * $0.40 per million operations. One operation per 64 KB written, read or deleted, so a
     * delivered message is write + read + delete = 3 operations per chunk (QUEUE_BILLING).
     * Read 2026-11-29, https://developers.cloudflare.com/queues/platform/pricing/
     */
    operationsPerMillion: 0.4,
  },
  kv: {
    /** $0.50 per million reads. Read 2026-11-29, https://developers.cloudflare.com/kv/platform/pricing/ */
    readsPerMillion: 0.5,
    /** $5.00 per million writes. Read 2026-11-29, https://developers.cloudflare.com/kv/platform/pricing/ */
    writesPerMillion: 5.0,
    /** $5.00 per million deletes. Read 2026-11-29, https://developers.cloudflare.com/kv/platform/pricing/ */
    deletesPerMillion: 5.0,
    /** $5.00 per million list requests. Read 2026-11-29, https://developers.cloudflare.com/kv/platform/pricing/ */
    listsPerMillion: 5.0,
    /** $0.50 per GB-month of stored data. Read 2026-11-29, https://developers.cloudflare.com/kv/platform/pricing/ */
    storagePerGbMonth: 0.5,
  },
  r2: {
    /** Standard storage: $4.50 per million Class A operations (PutObject, ListObjects, CopyObject, multipart). Read 2026-11-29, https://developers.cloudflare.com/r2/pricing/ */
    classAPerMillion: 4.5,
    /** Standard storage: $0.36 per million Class B operations (GetObject, HeadObject). DeleteObject is free. Read 2026-11-29, https://developers.cloudflare.com/r2/pricing/ */
    classBPerMillion: 0.36,
    /** Standard storage: $0.015 per GB-month. Read 2026-11-29, https://developers.cloudflare.com/r2/pricing/ */
    storagePerGbMonth: 0.015,
  },
  durableObjects: {
    /** $0.15 per additional million requests (HTTP, RPC sessions, alarms). Read 2026-11-29, https://developers.cloudflare.com/durable-objects/platform/pricing/ */
    requestsPerMillion: 0.15,
    /** $12.50 per additional million GB-s of wall-clock duration, billed at 128 MB while active. Read 2026-11-29, https://developers.cloudflare.com/durable-objects/platform/pricing/ */
    durationPerMillionGbS: 12.5,
    /** SQLite backend: $0.001 per million rows read (same as D1). Read 2026-11-29, https://developers.cloudflare.com/durable-objects/platform/pricing/ */
    sqliteRowsReadPerMillion: 0.001,
    /** SQLite backend: $1.00 per million rows written; each setAlarm() is one. Read 2026-11-29, https://developers.cloudflare.com/durable-objects/platform/pricing/ */
    sqliteRowsWrittenPerMillion: 1.0,
    /** SQLite backend: $0.20 per GB-month of stored data. Read 2026-11-29, https://developers.cloudflare.com/durable-objects/platform/pricing/ */
    sqliteStoragePerGbMonth: 0.2,
  },
} as const satisfies Record<string, Record<string, number>>;

/**
 * Usage included every month before PRICES apply, per account. The allowance is monthly, not per
 * message: a cost model subtracts it from a month's totals. Same sources and date as PRICES.
 */
export const WORKERS_PAID_INCLUDED = {
  /** https://developers.cloudflare.com/workers/platform/pricing/ */
  workers: { requests: 10_000_000, cpuMs: 30_000_000 },
  /** https://developers.cloudflare.com/d1/platform/pricing/ */
  d1: { rowsRead: 25_000_000_000, rowsWritten: 50_000_000, storageGb: 5 },
  /** https://developers.cloudflare.com/queues/platform/pricing/ */
  queues: { operations: 1_000_000 },
  /** https://developers.cloudflare.com/kv/platform/pricing/ */
  kv: { reads: 10_000_000, writes: 1_000_000, deletes: 1_000_000, lists: 1_000_000, storageGb: 1 },
  /** R2's free tier applies to every account (Standard storage only), not only Workers Paid. https://developers.cloudflare.com/r2/pricing/ */
  r2: { classA: 1_000_000, classB: 10_000_000, storageGbMonth: 10 },
  /** https://developers.cloudflare.com/durable-objects/platform/pricing/ */
  durableObjects: { requests: 1_000_000, durationGbS: 400_000, sqliteRowsRead: 25_000_000_000, sqliteRowsWritten: 50_000_000, sqliteStorageGbMonth: 5 },
} as const satisfies Record<string, Record<string, number>>;

/**
 * How Queues counts billed operations: one per 64,000-byte chunk (KB = 1,000 bytes) of a message,
 * body plus about 100 bytes of internal metadata, for each write, read and delete. A delivered
 * message is 1 write + 1 read + 1 delete per chunk; each retry adds a read, a move to a dead-letter
 * queue adds a write there, and a message that expires unread costs write + delete only.
 * Read 2026-11-29, https://developers.cloudflare.com/queues/platform/pricing/
 */
export const QUEUE_BILLING = {
  chunkBytes: 64_000,
  metadataBytes: 100,
  operationsPerDeliveredChunk: 3,
  operationsPerRetryChunk: 1,
} as const;
