import { env } from "cloudflare:workers";
import { expect, it } from "vitest";
import { recordBatchResults, type AttemptRecord } from "../src/db/delivery-work";
import { newEndpoint, newTenant } from "./support/api";
import { enqueueHeld } from "./support/worker";

it("a batch of attempts too large for one D1 parameter is recorded whole, every response excerpt intact", async () => {
  const { id } = await newTenant();
  const endpoint = await newEndpoint(id, { url: "https://example.com/hooks" });
  const { message, tasks } = await enqueueHeld(id, { event: "x", payload: 1 });
  // Control characters escape to six characters each in JSON: 120 such excerpts are ~3 MB of records.
  const excerpt = "\u0001".repeat(4096);
  const records: AttemptRecord[] = Array.from({ length: 120 }, (_, i) => ({
    deliveryId: message.deliveries[0]!.id,
    queueToken: tasks[0]!.token,
    endpointId: endpoint.id,
    attempt: i + 1,
    outcome: "retryable",
    statusCode: 500,
    errorKind: "http_status",
    error: "Receiver answered 500",
    durationMs: 5,
    responseBody: excerpt,
    at: Date.now(),
    status: "retrying",
    nextAttemptAt: Date.now() + 5000,
  }));

  await recordBatchResults(env.DB, records, [], []);

  const stored = await env.DB.prepare("SELECT attempt, response_body FROM attempts WHERE delivery_id = ? ORDER BY attempt")
    .bind(message.deliveries[0]!.id)
    .all<{ attempt: number; response_body: string }>();
  expect(stored.results.map((r) => r.attempt)).toEqual(records.map((r) => r.attempt));
  expect(stored.results.every((r) => r.response_body === excerpt)).toBe(true);
});
