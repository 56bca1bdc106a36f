import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { EndpointLimits } from "../src/delivery/endpoint-limiter";

/** A fresh limiter object, as one endpoint would have. */
const limiter = () => env.ENDPOINT_LIMITER.get(env.ENDPOINT_LIMITER.idFromName(crypto.randomUUID()));
const limits = (l: Partial<EndpointLimits>): EndpointLimits => ({ perSecond: null, burst: 1, maxInFlight: null, ...l });

describe("the per-endpoint limiter", () => {
  it("spaces sends 1000 / per_second ms apart and refuses one beyond the caller's window, with when to come back", async () => {
    const stub = limiter();
    // Each send may go at (the limiter's now) + waitMs; its now lies between our clock before and after the call.
    const sends: Array<{ earliest: number; latest: number; waitMs: number }> = [];
    for (let i = 0; i < 3; i++) {
      const before = Date.now();
      const permit = await stub.acquire(limits({ perSecond: 2 }), 1_000, 60_000);
      if (!permit.granted) throw new Error(`send ${i} refused`);
      sends.push({ earliest: before + permit.waitMs, latest: Date.now() + permit.waitMs, waitMs: permit.waitMs });
    }
    const refused = await stub.acquire(limits({ perSecond: 2 }), 1_000, 60_000);

    for (let i = 1; i < sends.length; i++) expect(sends[i]!.latest - sends[i - 1]!.earliest).toBeGreaterThanOrEqual(500);
    expect(sends.at(-1)!.waitMs).toBeLessThanOrEqual(1_000);
    expect(refused.granted).toBe(false);
    expect(refused.granted ? 0 : refused.retryAfterMs).toBeGreaterThan(0);
    expect(refused.granted ? 0 : refused.retryAfterMs).toBeLessThanOrEqual(500);
  });

  it("lets `burst` sends go at once, then spaces the rest", async () => {
    const stub = limiter();
    const waits: number[] = [];
    for (let i = 0; i < 4; i++) {
      const permit = await stub.acquire(limits({ perSecond: 5, burst: 3 }), 1_000, 60_000);
      waits.push(permit.granted ? permit.waitMs : -1);
    }
    expect(waits.slice(0, 3)).toEqual([0, 0, 0]);
    expect(waits[3]).toBeGreaterThan(100);
  });

  it("holds at most max_in_flight leases, and a released lease makes room", async () => {
    const stub = limiter();
    const first = await stub.acquire(limits({ maxInFlight: 1 }), 1_000, 60_000);
    const second = await stub.acquire(limits({ maxInFlight: 1 }), 1_000, 60_000);
    expect(first).toMatchObject({ granted: true, waitMs: 0 });
    expect(second.granted).toBe(false);

    await stub.release((first as { lease: string }).lease);
    expect((await stub.acquire(limits({ maxInFlight: 1 }), 1_000, 60_000)).granted).toBe(true);
  });

  it("lets a lease that was never released lapse after its lease time", async () => {
    const stub = limiter();
    await stub.acquire(limits({ maxInFlight: 1 }), 1_000, 50);
    await new Promise((resolve) => setTimeout(resolve, 80));
    expect((await stub.acquire(limits({ maxInFlight: 1 }), 1_000, 50)).granted).toBe(true);
  });

  it("grants every send at once, with no lease, when the endpoint has no limits", async () => {
    const stub = limiter();
    for (let i = 0; i < 20; i++) expect(await stub.acquire(limits({}), 0, 60_000)).toEqual({ granted: true, waitMs: 0, lease: null });
  });
});
