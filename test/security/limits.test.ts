import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { MAX_CUSTOM_HEADERS, MAX_EVENT_TYPE_LENGTH, MAX_HEADER_VALUE_LENGTH, MAX_JSON_DEPTH, MAX_URL_LENGTH } from "../../src/limits";
import { newTenant } from "../support/api";
import { callWorker } from "./support";
import { holdingQueue } from "../support/worker";

/** Each limit admits the value right at it: the bad-input suite shows one past it is refused. */
describe("input limits are inclusive", () => {
  const withCapture = () => ({ ...env, DELIVERIES: holdingQueue().queue }) as Env;
  const enqueue = async (body: Record<string, unknown> | string) => {
    const { id } = await newTenant();
    const options = typeof body === "string" ? { rawBody: body } : { body: { event: "a.b", payload: {}, ...body } };
    return callWorker(withCapture(), "POST", `/v1/tenants/${id}/messages`, options);
  };
  const createEndpoint = async (body: Record<string, unknown>) => {
    const { id } = await newTenant();
    return callWorker(env, "POST", `/v1/tenants/${id}/endpoints`, { body: { url: "https://example.com/hook", ...body } });
  };

  it("a payload of exactly MAX_PAYLOAD_BYTES", async () => {
    const payload = "x".repeat(Number(env.MAX_PAYLOAD_BYTES) - 2); // the JSON string adds two quotes
    expect((await enqueue({ payload })).status).toBe(202);
  });

  it(`a payload nested exactly ${MAX_JSON_DEPTH} levels deep`, async () => {
    const payload = "[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH);
    expect((await enqueue(`{"event":"a.b","payload":${payload}}`)).status).toBe(202);
  });

  it(`an event type of ${MAX_EVENT_TYPE_LENGTH} characters`, async () => {
    expect((await enqueue({ event: "e".repeat(MAX_EVENT_TYPE_LENGTH) })).status).toBe(202);
  });

  it(`a URL of ${MAX_URL_LENGTH} characters`, async () => {
    const base = "https://example.com/";
    expect((await createEndpoint({ url: base + "a".repeat(MAX_URL_LENGTH - base.length) })).status).toBe(201);
  });

  it(`${MAX_CUSTOM_HEADERS} custom headers`, async () => {
    const headers = Object.fromEntries(Array.from({ length: MAX_CUSTOM_HEADERS }, (_, i) => [`X-H${i}`, "1"]));
    expect((await createEndpoint({ headers })).status).toBe(201);
  });

  it(`a header value of ${MAX_HEADER_VALUE_LENGTH} characters`, async () => {
    expect((await createEndpoint({ headers: { "X-Long": "v".repeat(MAX_HEADER_VALUE_LENGTH) } })).status).toBe(201);
  });
});
