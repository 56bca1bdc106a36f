/**
 * The origin a request reached the relay at, carried on the Worker's env for the request's
 * lifetime, so the target guard can refuse endpoint URLs that point back at the relay without every
 * operation taking one more argument. Only the HTTP app sets it; queue and cron handlers have no
 * request, and their sends are judged without it.
 */
const KEY = "EDGEHOOK_RELAY_ORIGIN";

/** `env` with `origin` (e.g. `http://localhost:8787`) as the relay's own origin. */
export function withRelayOrigin<E extends Env>(env: E, origin: string): E {
  return { ...(env as object), [KEY]: origin } as unknown as E;
}

/** The relay's own origin set by withRelayOrigin, or undefined outside an HTTP request. */
export function relayOriginOf(env: Env): string | undefined {
  const origin = (env as unknown as Record<string, unknown>)[KEY];
  return typeof origin === "string" ? origin : undefined;
}
