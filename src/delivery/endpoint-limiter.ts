import { DurableObject } from "cloudflare:workers";

/**
 * Per-endpoint delivery limits, enforced across every concurrent consumer invocation by one Durable
 * Object per limited endpoint (`ENDPOINT_LIMITER`, named by the endpoint id). Endpoints without
 * limits never reach it, so they pay nothing.
 *
 * - **Rate**: a generic cell rate algorithm (GCRA, the token bucket as a schedule): sends are spaced
 *   1000 / `per_second` ms apart, with up to `burst` sent back to back. A caller may be told to wait
 *   up to `windowMs` before sending; a send further out is refused with the time to come back, and
 *   successive refusals are told successive times, one interval apart.
 * - **In flight**: at most `max_in_flight` sends hold a lease at once. A lease ends when the sender
 *   releases it, or after `leaseMs` (a consumer that crashed mid-send never releases).
 *
 * State is in memory: an object stays in memory while it is called, and a send is far shorter than
 * the idle time after which the runtime evicts an object (Durable Objects lifecycle,
 * developers.cloudflare.com/durable-objects/concepts/durable-object-lifecycle/). An eviction, or a
 * deploy, forgets at most the leases of sends then in flight and the rate's schedule, which costs
 * nothing in storage writes on every send.
 */

/** An endpoint's limits as the limiter applies them. */
export interface EndpointLimits {
  /** Sends per second; null = no rate limit. */
  perSecond: number | null;
  /** Sends allowed back to back at the start (≥ 1). */
  burst: number;
  /** Concurrent sends; null = no cap. */
  maxInFlight: number | null;
}

/** The limiter's answer to one send. */
export type SendPermit =
  /** Send after `waitMs` (0 = now); release `lease` when done (null when no in-flight cap applies). */
  | { granted: true; waitMs: number; lease: string | null }
  /** Come back in `retryAfterMs`; nothing was reserved. */
  | { granted: false; retryAfterMs: number };

export class EndpointLimiter extends DurableObject {
  /** GCRA's theoretical arrival time of the next send, epoch ms. */
  private nextSendAt = 0;
  /**
   * When the next refused send is told to come back, epoch ms: refusals are spread at the endpoint's
   * rate, so a backlog returns in its order and in step with its turns, not all at once.
   */
  private nextComebackAt = 0;
  /** Lease id → when it lapses (epoch ms). */
  private readonly leases = new Map<string, number>();

  /**
   * Asks to send one request now or within `windowMs`.
   *
   * @param limits the endpoint's limits, as its row holds them now (a change applies from the next call)
   * @param windowMs longest wait the caller accepts, ms
   * @param leaseMs how long an in-flight lease lasts if never released, ms
   */
  acquire(limits: EndpointLimits, windowMs: number, leaseMs: number): SendPermit {
    const now = Date.now();
    for (const [lease, lapsesAt] of this.leases) if (lapsesAt <= now) this.leases.delete(lease);

    if (limits.maxInFlight !== null && this.leases.size >= limits.maxInFlight) {
      const soonest = Math.min(...this.leases.values());
      return { granted: false, retryAfterMs: Math.max(soonest - now, 0) };
    }

    let waitMs = 0;
    if (limits.perSecond !== null) {
      const interval = 1000 / limits.perSecond;
      const tolerance = (Math.max(limits.burst, 1) - 1) * interval;
      const earliest = Math.max(this.nextSendAt - tolerance, now);
      if (earliest - now > windowMs) {
        const comeback = Math.max(this.nextComebackAt, earliest - windowMs);
        this.nextComebackAt = comeback + interval;
        return { granted: false, retryAfterMs: comeback - now };
      }
      this.nextSendAt = Math.max(this.nextSendAt, now) + interval;
      waitMs = earliest - now;
    }

    let lease: string | null = null;
    if (limits.maxInFlight !== null) {
      lease = crypto.randomUUID();
      this.leases.set(lease, now + waitMs + leaseMs);
    }
    return { granted: true, waitMs, lease };
  }

  /** Ends an in-flight lease; an unknown or lapsed lease is ignored. */
  release(lease: string): void {
    this.leases.delete(lease);
  }
}
