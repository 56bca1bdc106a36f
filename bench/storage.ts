/**
 * What the relay's databases and payload bucket hold right now, for `GET /_bench/storage` in the
 * bench's Worker entry (bench/worker.ts): the size of every D1 database (DB and each SHARD_n), its
 * message count, and the objects in the PAYLOADS bucket. The bench reads it before and after a
 * phase, so bytes and objects per message are measured from the stores, not computed from a schema.
 */
import { isD1BindingName, PAYLOADS_BINDING } from "./instrument.ts";

/** The path at which the bench Worker answers the storage report (outside the API). */
export const STORAGE_PATH = "/_bench/storage";

/** One D1 database as the bench sees it. */
export interface DatabaseStorage {
  binding: string;
  /** The database's size in bytes, as D1 reports it (`meta.size_after`, which reads return too). */
  bytes: number | null;
  /** Rows of its `messages` table; null when it has none (the control database once data is sharded). */
  messages: number | null;
}

/** What `GET /_bench/storage` answers. */
export interface StorageReport {
  databases: DatabaseStorage[];
  /** The PAYLOADS bucket's object count and total bytes; null when the configuration has no such bucket. */
  payloads: { objects: number; bytes: number } | null;
}

async function databaseStorage(binding: string, db: D1Database): Promise<DatabaseStorage> {
  try {
    const counted = await db.prepare("SELECT COUNT(*) AS n FROM messages").all<{ n: number }>();
    return { binding, bytes: counted.meta.size_after ?? null, messages: counted.results[0]?.n ?? 0 };
  } catch {
    // No messages table here: only the size is wanted, and any read reports it.
    const probe = await db.prepare("SELECT 1").all();
    return { binding, bytes: probe.meta.size_after ?? null, messages: null };
  }
}

async function bucketStorage(bucket: R2Bucket): Promise<{ objects: number; bytes: number }> {
  let objects = 0;
  let bytes = 0;
  let cursor: string | undefined;
  do {
    const page = await bucket.list({ cursor, limit: 1000 });
    objects += page.objects.length;
    bytes += page.objects.reduce((sum, o) => sum + o.size, 0);
    cursor = page.truncated ? page.cursor : undefined;
  } while (cursor);
  return { objects, bytes };
}

/** Reads every D1 binding named DB or SHARD_n, and the PAYLOADS bucket when bound, straight from `env` (uncounted). */
export async function storageReport(env: Env): Promise<StorageReport> {
  const bindings = env as unknown as Record<string, unknown>;
  const names = Object.keys(bindings).filter(isD1BindingName).sort((a, b) => a.localeCompare(b, "en", { numeric: true }));
  const bucket = bindings[PAYLOADS_BINDING] as R2Bucket | undefined;
  return {
    databases: await Promise.all(names.map((name) => databaseStorage(name, bindings[name] as D1Database))),
    payloads: bucket ? await bucketStorage(bucket) : null,
  };
}
