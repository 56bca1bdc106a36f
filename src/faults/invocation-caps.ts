import type { FaultInjector } from "./injector";

/**
 * Cloudflare's per-invocation operation caps, which the local runtime does not have: one Worker
 * invocation may make at most 1,000 D1 queries ("Queries per Worker invocation (read subrequest
 * limits)", developers.cloudflare.com/d1/platform/limits/) and 1,000 KV operations
 * (developers.cloudflare.com/kv/platform/limits/); past that the binding throws CAP_EXCEEDED.
 * The D1 page does not say how a batch counts, so each of its statements counts as one query: the
 * stricter reading, under which code that passes here passes there.
 */

/** What a binding throws once the invocation has spent its cap (the platform's wording). */
export const CAP_EXCEEDED = "Too many API requests by single Worker invocation.";

/** Counts one invocation's D1 queries and KV operations against the spec's caps (0: no cap). */
export class InvocationCaps {
  private d1Queries = 0;
  private kvOperations = 0;

  constructor(private readonly faults: FaultInjector) {}

  /**
   * Counts `queries` D1 queries (a batch: its statements).
   * @throws Error CAP_EXCEEDED when they take the invocation past d1_queries_per_invocation (counted as a d1_error)
   */
  chargeD1(queries: number): void {
    this.d1Queries += queries;
    const cap = this.faults.spec.d1QueriesPerInvocation;
    if (cap > 0 && this.d1Queries > cap) this.refuse("d1_error");
  }

  /**
   * Counts one KV operation.
   * @throws Error CAP_EXCEEDED past kv_operations_per_invocation (counted as a kv_error)
   */
  chargeKv(): void {
    this.kvOperations += 1;
    const cap = this.faults.spec.kvOperationsPerInvocation;
    if (cap > 0 && this.kvOperations > cap) this.refuse("kv_error");
  }

  private refuse(kind: "d1_error" | "kv_error"): never {
    this.faults.injected[kind]++;
    throw new Error(CAP_EXCEEDED);
  }
}
