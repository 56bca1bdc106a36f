import { withDatabases } from "../shards";
import { faultyD1, faultyKv, faultyQueue, faultyR2 } from "./bindings";
import { FaultInjector } from "./injector";
import { InvocationCaps } from "./invocation-caps";
import { capsInvocations, parseFaultSpec } from "./spec";

/**
 * Fault injection for local runs and tests (CONTRACT.md, "Fault injection"): the Worker's env with
 * every D1 database (control and shards), KV namespace, R2 bucket and queue producer wrapped so
 * that calls fail and KV reads lag as `EDGEHOOK_FAULTS` asks (src/faults/bindings.ts).
 *
 * Never honoured by a deployed Worker. Three locks, all needed:
 * 1. the var `ALLOW_FAULT_INJECTION` is exactly "true" — nothing in wrangler.toml or
 *    .dev.vars.example sets it; a run opts in with `npm run dev -- --var ALLOW_FAULT_INJECTION:true`;
 * 2. the bundle was built by a local launcher: `npm run dev`, the tests' and the bench's relays
 *    (scripts/local-relay.ts LOCAL_BUILD_ARGS) and the vitest config define EDGEHOOK_LOCAL_BUILD;
 *    `wrangler deploy` and `wrangler versions upload`, with or without `npm run deploy`, never do,
 *    whatever the shell's environment;
 * 3. the code was not bundled for production. Wrangler replaces `process.env.NODE_ENV` in the
 *    bundle with the shell's NODE_ENV or, when that is unset, "production" for `wrangler deploy`
 *    (`npm run deploy` forces it) and "development" for `wrangler dev`.
 *    The vitest plugin leaves `process.env.NODE_ENV` to the runtime, where nothing sets it.
 * A var alone is not enough because `wrangler deploy --var` and the dashboard can set any var;
 * the request's hostname is not used because the queue and cron handlers have no request.
 */

/** The vars that govern fault injection (not in the generated Env: no deployment defines them). */
export interface FaultVars {
  ALLOW_FAULT_INJECTION?: string;
  EDGEHOOK_FAULTS?: string;
}

/** How wrangler bundled this code: "production" for Cloudflare's network (see the module comment), else "development" or undefined. */
export function bundleMode(): string | undefined {
  return process.env.NODE_ENV;
}

/** Defined (true) only in bundles a local launcher builds (`--define EDGEHOOK_LOCAL_BUILD:true`); undeclared anywhere else. */
declare const EDGEHOOK_LOCAL_BUILD: boolean | undefined;

/** Whether a local launcher built this bundle (lock 2 of the module comment). */
export function builtLocally(): boolean {
  return typeof EDGEHOOK_LOCAL_BUILD !== "undefined" && EDGEHOOK_LOCAL_BUILD === true;
}

/** Whether faults may be injected: the var says "true", a local launcher built the code, and not for production. */
export function faultInjectionAllowed(vars: FaultVars, mode: string | undefined = bundleMode(), local = builtLocally()): boolean {
  return vars.ALLOW_FAULT_INJECTION === "true" && local && mode !== "production";
}

/** One injector per spec text in this isolate, so its counts and KV memory outlive a request. */
const injectors = new Map<string, FaultInjector>();

/**
 * The injector that serves `env`, or null when fault injection is not allowed (faultInjectionAllowed).
 * @throws FaultSpecError when EDGEHOOK_FAULTS cannot be parsed
 */
export function faultInjectorFor(env: object): FaultInjector | null {
  const vars = env as FaultVars;
  if (!faultInjectionAllowed(vars)) return null;
  const text = (vars.EDGEHOOK_FAULTS ?? "").trim();
  let injector = injectors.get(text);
  if (!injector) {
    injector = new FaultInjector(parseFaultSpec(text));
    injectors.set(text, injector);
  }
  return injector;
}

const wrappedEnvs = new WeakMap<object, Env>();

/** `env` with its bindings wrapped by `injector`, counting towards `caps` when given. */
function wrapBindings<E extends Env>(env: E, injector: FaultInjector, caps?: InvocationCaps): E {
  return {
    ...withDatabases(env, (db) => faultyD1(db, injector, caps)),
    SECRETS: faultyKv(env.SECRETS, injector, caps),
    PAYLOADS: faultyR2(env.PAYLOADS, injector),
    DELIVERIES: faultyQueue(env.DELIVERIES, injector),
    SLOW_DELIVERIES: faultyQueue(env.SLOW_DELIVERIES, injector),
  };
}

/**
 * `env` with its bindings wrapped by `injector`; `env` itself when the injector is null. Bindings
 * other than D1, KV, R2 and the queue producers pass through. Call it once per invocation (fetch,
 * queue batch, cron run): a spec with per-invocation caps gets fresh counters each call; without
 * caps the wrapped env is made once per env object.
 */
export function withPlatformFaults<E extends Env>(env: E, injector: FaultInjector | null): E {
  if (!injector) return env;
  if (capsInvocations(injector.spec)) return wrapBindings(env, injector, new InvocationCaps(injector));
  let wrapped = wrappedEnvs.get(env) as E | undefined;
  if (!wrapped) {
    wrapped = wrapBindings(env, injector);
    wrappedEnvs.set(env, wrapped);
  }
  return wrapped;
}

/** `GET /__faults`: what `injector` has injected so far, per kind (CONTRACT.md). */
export function faultsResponse(injector: FaultInjector): Response {
  return Response.json({ injected: injector.injected });
}
