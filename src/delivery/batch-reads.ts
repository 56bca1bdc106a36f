import type { SecretSet } from "../secrets";

/**
 * The reads a consumer batch shares between its deliveries, so each happens once per batch however
 * many deliveries need it: a payload once per message (a packed message's deliveries, and every
 * endpoint a message fans out to, share it), a secret set once per KV key (so once per endpoint and
 * secret version). This is what holds a batch under Workers' 1,000 KV/R2 operations per invocation
 * (SCALING.md): see the count in src/delivery/claim.ts. A failed read is not kept: the deliveries
 * that wanted it wait and come back (src/delivery/attempt.ts), and a later batch reads again.
 */
export interface BatchReads {
  secret(kvKey: string, read: () => Promise<SecretSet | null>): Promise<SecretSet | null>;
  payload(messageId: string, read: () => Promise<string>): Promise<string>;
}

/** One `load` per key while it is running or has succeeded; a rejected load is forgotten. */
function onceEach<T>(): (key: string, load: () => Promise<T>) => Promise<T> {
  const started = new Map<string, Promise<T>>();
  return (key, load) => {
    const hit = started.get(key);
    if (hit) return hit;
    const promise = load();
    started.set(key, promise);
    promise.catch(() => started.delete(key));
    return promise;
  };
}

/** Fresh shared reads for one consumer batch. */
export function batchReads(): BatchReads {
  return { secret: onceEach<SecretSet | null>(), payload: onceEach<string>() };
}
