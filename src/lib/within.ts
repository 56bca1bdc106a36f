/** Raised by `within` when the time is up. */
export class TimeoutError extends Error {
  override name = "TimeoutError";
}

/**
 * Settles as `promise` does, or rejects with a TimeoutError carrying `message` once `ms`
 * milliseconds have passed, whichever comes first; the timer is cleared either way. The work behind
 * `promise` is not cancelled (pass an AbortSignal to it for that): this bounds how long the caller
 * waits, which is what keeps a consumer batch's lifetime bounded (src/delivery/claim.ts).
 *
 * @param ms the wait, in milliseconds
 * @throws TimeoutError after `ms`; whatever `promise` rejects with before that
 */
export function within<T>(promise: PromiseLike<T>, ms: number, message = `No answer within ${ms} ms`): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
