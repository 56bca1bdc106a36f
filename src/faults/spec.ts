/**
 * The fault spec of `EDGEHOOK_FAULTS` (CONTRACT.md, "Fault injection"): space- or comma-separated
 * `name=value` pairs, e.g. `kv_stale_seconds=30 d1_error_rate=0.03,queue_error_rate=0.03`, or
 * `d1_queries_per_invocation=1000 kv_operations_per_invocation=1000` for Cloudflare's per-invocation caps.
 * A name left out injects nothing of its kind.
 */
export interface FaultSpec {
  /** A KV read within this many seconds of a write to its key (in this isolate) sees the value from before the write. */
  kvStaleSeconds: number;
  /** Share (0–1) of D1 statement runs and batches that fail. */
  d1ErrorRate: number;
  /** Share (0–1) of Queues send and sendBatch calls that fail. */
  queueErrorRate: number;
  /** Share (0–1) of R2 get, put, delete and head calls that fail. */
  r2ErrorRate: number;
  /** Share (0–1) of KV get, getWithMetadata, put and delete calls that fail. */
  kvErrorRate: number;
  /** Most D1 queries one Worker invocation may make (a statement run is one, a batch one per statement), as on Cloudflare (1,000); 0 = no cap. */
  d1QueriesPerInvocation: number;
  /** Most KV operations one Worker invocation may make, as on Cloudflare (1,000); 0 = no cap. */
  kvOperationsPerInvocation: number;
}

/** EDGEHOOK_FAULTS names something unknown or a value out of range; the message says which. */
export class FaultSpecError extends Error {
  override name = "FaultSpecError";
}

const RATES = {
  d1_error_rate: "d1ErrorRate",
  queue_error_rate: "queueErrorRate",
  r2_error_rate: "r2ErrorRate",
  kv_error_rate: "kvErrorRate",
} as const satisfies Record<string, keyof FaultSpec>;

const CAPS = {
  d1_queries_per_invocation: "d1QueriesPerInvocation",
  kv_operations_per_invocation: "kvOperationsPerInvocation",
} as const satisfies Record<string, keyof FaultSpec>;

/** The spec that injects nothing. */
export const NO_FAULTS: FaultSpec = Object.freeze({
  kvStaleSeconds: 0,
  d1ErrorRate: 0,
  queueErrorRate: 0,
  r2ErrorRate: 0,
  kvErrorRate: 0,
  d1QueriesPerInvocation: 0,
  kvOperationsPerInvocation: 0,
});

/** Whether `spec` caps what one invocation may do, so each invocation needs bindings of its own that count. */
export function capsInvocations(spec: FaultSpec): boolean {
  return spec.d1QueriesPerInvocation > 0 || spec.kvOperationsPerInvocation > 0;
}

/**
 * Parses an `EDGEHOOK_FAULTS` value; empty or undefined is NO_FAULTS.
 * @throws FaultSpecError for an entry that is not `name=value`, an unknown name, a rate outside
 *   0–1, a `kv_stale_seconds` that is not a number ≥ 0 (seconds), or a cap that is not a whole number ≥ 0
 */
export function parseFaultSpec(text: string | undefined): FaultSpec {
  const spec: FaultSpec = { ...NO_FAULTS };
  for (const entry of (text ?? "").split(/[\s,]+/).filter(Boolean)) {
    const [name, raw, ...rest] = entry.split("=");
    const value = raw === undefined || raw.trim() === "" || rest.length > 0 ? Number.NaN : Number(raw);
    if (name === "kv_stale_seconds") {
      if (!(value >= 0) || !Number.isFinite(value)) throw new FaultSpecError(`EDGEHOOK_FAULTS: kv_stale_seconds must be a number of seconds ≥ 0, not "${raw ?? ""}"`);
      spec.kvStaleSeconds = value;
    } else if (name !== undefined && Object.hasOwn(CAPS, name)) {
      if (!Number.isSafeInteger(value) || value < 0) throw new FaultSpecError(`EDGEHOOK_FAULTS: ${name} must be a whole number ≥ 0 (0: no cap), not "${raw ?? ""}"`);
      spec[CAPS[name as keyof typeof CAPS]] = value;
    } else if (name !== undefined && Object.hasOwn(RATES, name)) {
      if (!(value >= 0 && value <= 1)) throw new FaultSpecError(`EDGEHOOK_FAULTS: ${name} must be a share from 0 to 1, not "${raw ?? ""}"`);
      spec[RATES[name as keyof typeof RATES]] = value;
    } else {
      throw new FaultSpecError(
        `EDGEHOOK_FAULTS: unknown entry "${entry}"; use kv_stale_seconds=N, ${Object.keys(RATES).map((r) => `${r}=0..1`).join(", ")}, ${Object.keys(CAPS).map((c) => `${c}=N`).join(", ")}`,
      );
    }
  }
  return spec;
}
