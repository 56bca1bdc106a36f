import { expect, it } from "vitest";
import { getDeliveryWithAttempts } from "../src/db/deliveries";
import { recordBatchResults, type AttemptRecord } from "../src/db/batch-records";
import { newTenant } from "./support/api";
import { enqueueHeld } from "./support/worker";
import { shardOf } from "./support/shards";

it("a full batch of attempts too large for one D1 parameter is recorded whole, every response excerpt intact", async () => {
  const { id } = await newTenant();
  const held = await Promise.all(
    Array.from({ length: 100 }, () => enqueueHeld(id, { event: "x", payload: 1, webhook_url: "https://example.com/hooks" })),
  );
  // Random text neither compresses nor fits: 100 such excerpts of control characters (six JSON
  // characters each) and digits are ~1 MB of records, more than one D1 parameter takes.
  const excerpt = Array.from({ length: 1024 }, (_, i) => (i % 2 ? "\u0001" : String(Math.floor(Math.random() * 10)))).join("");
  const records: AttemptRecord[] = held.map(({ message, tasks }) => ({
    deliveryId: message.deliveries[0]!.id,
    tenantId: id,
    endpointId: "",
    queueToken: tasks[0]!.token,
    seenLastAttemptAt: null,
    outcome: "retryable",
    statusCode: 500,
    errorKind: "http_status",
    error: "Receiver answered 500",
    durationMs: 5,
    responseBody: excerpt,
    at: Date.now(),
    status: "retrying",
    nextAttemptAt: Date.now() + 5000,
    inOrder: false,
  }));

  const shard = await shardOf(id);
  const { live } = await recordBatchResults(shard, records, [], []);

  expect(live.size).toBe(100);
  const stored = await Promise.all(records.map(async (r) => (await getDeliveryWithAttempts(shard, id, r.deliveryId))!.attempts));
  expect(stored.every((attempts) => attempts.length === 1 && attempts[0]!.attempt === 1 && attempts[0]!.response_body === excerpt)).toBe(true);
});
