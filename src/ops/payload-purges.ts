import { queuedPayloads, removeQueuedPayloads } from "../db/payload-purges";
import { deletePayloads } from "../payloads";

/**
 * Most queued payloads one call deletes: R2 deletes up to 1,000 keys a call
 * (developers.cloudflare.com/r2/api/workers/workers-api-reference/#bucket-method-definitions), so
 * one R2 operation and two D1 queries.
 */
export const PAYLOAD_PURGES_PER_CALL = 1000;

/** D1 queries one purgeQueuedPayloads makes: the read of the queue and its one delete. */
export const PAYLOAD_PURGE_QUERIES = 2;

/**
 * Deletes the R2 objects of up to PAYLOAD_PURGES_PER_CALL payloads queued on data shard `db`
 * (their messages are gone) and takes them off the queue; returns how many. When R2 refuses, they
 * stay queued for the sweeper's next run.
 * @throws PayloadStorageUnavailable when R2 refuses the delete; Error when D1 fails
 */
export async function purgeQueuedPayloads(env: Pick<Env, "PAYLOADS">, db: D1Database): Promise<number> {
  const payloads = await queuedPayloads(db, PAYLOAD_PURGES_PER_CALL);
  await deletePayloads(env, payloads);
  await removeQueuedPayloads(db, payloads);
  return payloads.length;
}
