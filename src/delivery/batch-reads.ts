import type { SecretSet } from "../secrets";

/**
 * The KV and R2 reads a consumer batch shares between its deliveries, each made once per batch
 * however many deliveries need it: a payload once per message (a packed message's deliveries, and
 * every endpoint a message fans out to, share it), a secret set once per endpoint and version.
 *
 * Cap by construction: Workers allow 1,000 KV + R2 operations per invocation ("for example 500
 * Workers KV reads and 500 R2 reads", KV limits, SCALING.md). A full batch holds 1,000 deliveries
 * (100 messages × 10 packed, src/delivery/task.ts); in the worst case each has its own endpoint and
 * its own R2 payload, 2,000 reads. So a batch spends at most KV_R2_READS_PER_BATCH; a read past it
 * throws ReadBudgetSpent, and its delivery waits and comes back uncounted (src/delivery/attempt.ts)
 * in a later invocation with a budget of its own. The rest of the 1,000 is left for what else the
 * invocation reads (the operational events' secrets). A failed read is not kept, and counts.
 */
export const KV_R2_READS_PER_BATCH = 800;

/** Thrown instead of a read once the batch has spent its KV_R2_READS_PER_BATCH. */
export class ReadBudgetSpent extends Error {
  override name = "ReadBudgetSpent";
}

export interface BatchReads {
  /** The secret set of `key` (owner and version), read with `read` once per batch. */
  secret(key: string, read: () => Promise<SecretSet | null>): Promise<SecretSet | null>;
  /** The payload of message `messageId` from R2, read with `read` once per batch. */
  payload(messageId: string, read: () => Promise<string>): Promise<string>;
  /** KV and R2 reads made so far. */
  readonly spent: number;
}

/** Fresh shared reads for one consumer batch, spending at most `budget` KV and R2 reads. */
export function batchReads(budget = KV_R2_READS_PER_BATCH): BatchReads {
  let spent = 0;
  const onceEach = <T>() => {
    const started = new Map<string, Promise<T>>();
    return (key: string, load: () => Promise<T>): Promise<T> => {
      const hit = started.get(key);
      if (hit) return hit;
      if (spent >= budget) return Promise.reject(new ReadBudgetSpent(`this batch has made its ${budget} KV and R2 reads`));
      spent++;
      const promise = load();
      started.set(key, promise);
      promise.catch(() => started.delete(key));
      return promise;
    };
  };
  return {
    secret: onceEach<SecretSet | null>(),
    payload: onceEach<string>(),
    get spent() {
      return spent;
    },
  };
}
