import { KvLag } from "./kv-lag";
import type { FaultSpec } from "./spec";

/** The kinds of injected fault that `GET /__faults` counts (CONTRACT.md). */
export const FAULT_KINDS = ["kv_stale", "d1_error", "queue_error", "r2_error", "kv_error"] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** A fault kind that makes a binding call throw. */
export type ErrorFault = Exclude<FaultKind, "kv_stale">;

const RATE_OF: Record<ErrorFault, keyof FaultSpec> = {
  d1_error: "d1ErrorRate",
  queue_error: "queueErrorRate",
  r2_error: "r2ErrorRate",
  kv_error: "kvErrorRate",
};

/**
 * Decides which binding calls fail and which KV reads lag, following one FaultSpec, and counts what
 * it injected. `random` (uniform in [0, 1)) decides every draw, so a test can pass a fixed sequence.
 */
export class FaultInjector {
  /** Faults injected so far, per kind. */
  readonly injected: Record<FaultKind, number> = { kv_stale: 0, d1_error: 0, queue_error: 0, r2_error: 0, kv_error: 0 };
  readonly kvLag: KvLag;

  /**
   * @param clock epoch ms, for KV lag
   */
  constructor(
    readonly spec: FaultSpec,
    private readonly random: () => number = Math.random,
    clock: () => number = Date.now,
  ) {
    this.kvLag = new KvLag(spec.kvStaleSeconds * 1000, clock);
  }

  /** Whether this call fails with a fault of `kind`: true for a draw below the spec's rate (counted). */
  fails(kind: ErrorFault): boolean {
    const rate = this.spec[RATE_OF[kind]];
    if (rate <= 0 || this.random() >= rate) return false;
    this.injected[kind]++;
    return true;
  }

  /** One of `choices`, drawn uniformly: which of a binding's real errors an injected fault throws. */
  pick<T>(choices: readonly T[]): T {
    return choices[Math.min(choices.length - 1, Math.floor(this.random() * choices.length))]!;
  }

  /** Counts a KV read that was served a lagging value. */
  noteStaleRead(): void {
    this.injected.kv_stale++;
  }
}
