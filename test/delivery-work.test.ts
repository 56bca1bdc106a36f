import { expect, it } from "vitest";
import { recordBatchResults, type AttemptRecord } from "../src/db/delivery-work";
import { newTenant } from "./support/api";
import { enqueueHeld } from "./support/worker";
import { shardOf } from "./support/shards";

it("a full batch of attempts too large for one D1 parameter is recorded whole, every response excerpt intact", async () => {
  const { id } = await newTenant();
  const held = await Promise.all(
    Array.from({ length: 100 }, () => enqueueHeld(id, { event: "x", payload: 1, webhook_url: "https://example.com/hooks" })),
  );
  // Control characters escape to six characters each in JSON: 100 such excerpts are ~2.5 MB of records.
  const excerpt = "\u0001".repeat(4096);
  const records: AttemptRecord[] = held.map(({ message, tasks }) => ({
    deliveryId: message.deliveries[0]!.id,
    queueToken: tasks[0]!.token,
    seenLastAttemptAt: null,
    endpointId: null,
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

  const shard = await shardOf(id);
  const live = await recordBatchResults(shard, records, [], []);

  expect(live.size).toBe(100);
  const stored = await shard.prepare(
    "SELECT attempt, response_body FROM attempts WHERE delivery_id IN (SELECT value FROM json_each(?))",
  )
    .bind(JSON.stringify(records.map((r) => r.deliveryId)))
    .all<{ attempt: number; response_body: string }>();
  expect(stored.results).toHaveLength(100);
  expect(stored.results.every((r) => r.attempt === 1 && r.response_body === excerpt)).toBe(true);
});
