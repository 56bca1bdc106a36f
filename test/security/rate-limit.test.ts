import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { RATE_LIMIT_PERIOD_SECONDS } from "../../src/limits";
import { ADMIN, newTenant } from "../support/api";
import { callWorker, type Reply } from "./support";

/**
 * The API's own limiter (API_RATE_LIMITER in wrangler.toml) is generous so the rest of the suite
 * never meets it; here the test project's TEST_TIGHT_RATE_LIMITER (3 requests a minute) stands in.
 * Its windows are aligned to the clock, so a run may straddle one window change: the tests send up
 * to twice the limit and one more, which reaches a 429 even then.
 */
const tightEnv = { ...env, API_RATE_LIMITER: env.TEST_TIGHT_RATE_LIMITER } as Env;
const LIMIT = 3;
const MAX_TRIES = 2 * LIMIT + 1;

/** Sends requests until the first 429 (or MAX_TRIES), returning every reply. */
async function untilLimited(send: () => Promise<Reply>): Promise<Reply[]> {
  const replies: Reply[] = [];
  while (replies.length < MAX_TRIES && replies.at(-1)?.status !== 429) replies.push(await send());
  return replies;
}

describe("per-tenant API rate limiting", () => {
  it("a tenant key over its limit gets 429 rate_limited with Retry-After, in the one error shape", async () => {
    const { id, key } = await newTenant();
    const replies = await untilLimited(() => callWorker(tightEnv, "GET", `/v1/tenants/${id}/endpoints`, { token: key }));
    const limited = replies.at(-1)!;
    expect(limited.status).toBe(429);
    expect(replies.length).toBeGreaterThan(LIMIT);
    expect(replies.slice(0, -1).every((r) => r.status === 200)).toBe(true);
    expect(limited.headers.get("retry-after")).toBe(String(RATE_LIMIT_PERIOD_SECONDS));
    expect(limited.body).toEqual({ error: { code: "rate_limited", message: expect.stringContaining("retry after") } });
  });

  it("a limited request changes nothing", async () => {
    const { id, key } = await newTenant();
    const replies = await untilLimited(() =>
      callWorker(tightEnv, "POST", `/v1/tenants/${id}/endpoints`, { token: key, body: { url: "https://example.com/a" } }),
    );
    expect(replies.at(-1)!.status).toBe(429);
    const list = await callWorker(env, "GET", `/v1/tenants/${id}/endpoints`);
    expect(list.body.data).toHaveLength(replies.length - 1);
  });

  it("one tenant using up its limit does not limit another tenant", async () => {
    const noisy = await newTenant();
    const quiet = await newTenant();
    const replies = await untilLimited(() => callWorker(tightEnv, "GET", `/v1/tenants/${noisy.id}/endpoints`, { token: noisy.key }));
    expect(replies.at(-1)!.status).toBe(429);
    expect((await callWorker(tightEnv, "GET", `/v1/tenants/${quiet.id}/endpoints`, { token: quiet.key })).status).toBe(200);
  });

  it("the admin token is not limited", async () => {
    const { id } = await newTenant();
    const replies = await untilLimited(() => callWorker(tightEnv, "GET", `/v1/tenants/${id}/endpoints`, { token: ADMIN }));
    expect(replies.map((r) => r.status)).toEqual(Array(MAX_TRIES).fill(200));
  });
});
