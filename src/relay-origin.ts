/**
 * The origin a request reached the relay at, carried on the Worker's env for the request's
 * lifetime, so the target guard can refuse endpoint URLs that point back at the relay without every
 * operation taking one more argument. Only the HTTP app sets it; queue and cron handlers have no
 * request, and their sends are judged without it.
 */
const KEY = "EDGEHOOK_RELAY_ORIGIN";

/**
 * The envs made per (env, origin), so what is cached per env object (the parsed config) stays
 * cached across requests. An isolate sees few origins; the Host header is the caller's to choose,
 * so past MAX_ORIGINS_KEPT further origins get a fresh copy each time instead of growing the cache.
 */
const made = new WeakMap<object, Map<string, object>>();
const MAX_ORIGINS_KEPT = 8;

/** `env` with `origin` (e.g. `http://localhost:8787`) as the relay's own origin. */
export function withRelayOrigin<E extends Env>(env: E, origin: string): E {
  let byOrigin = made.get(env);
  if (!byOrigin) made.set(env, (byOrigin = new Map()));
  let result = byOrigin.get(origin);
  if (!result) {
    result = { ...(env as object), [KEY]: origin };
    if (byOrigin.size < MAX_ORIGINS_KEPT) byOrigin.set(origin, result);
  }
  return result as E;
}

/** The relay's own origin set by withRelayOrigin, or undefined outside an HTTP request. */
export function relayOriginOf(env: Env): string | undefined {
  const origin = (env as unknown as Record<string, unknown>)[KEY];
  return typeof origin === "string" ? origin : undefined;
}
