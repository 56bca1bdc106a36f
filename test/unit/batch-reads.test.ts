import { describe, expect, it } from "vitest";
import { batchReads, KV_R2_READS_PER_BATCH, ReadBudgetSpent } from "../../src/delivery/batch-reads";
import { DELIVERIES_PER_MESSAGE } from "../../src/delivery/task";

const SET = { current: "whsec_a", previous: [] };

describe("a consumer batch reads each secret and payload once, within its KV and R2 budget", () => {
  it("every delivery of a message shares one payload read, and every delivery of an endpoint one secret read", async () => {
    const reads = batchReads();
    let payloadReads = 0;
    let secretReads = 0;
    await Promise.all(
      Array.from({ length: DELIVERIES_PER_MESSAGE }, () => [
        reads.payload("message-1", async () => (payloadReads++, "{}")),
        reads.secret("endpoint:e1:0", async () => (secretReads++, SET)),
      ]).flat(),
    );
    expect([payloadReads, secretReads, reads.spent]).toEqual([1, 1, 2]);
  });

  it("a read that failed is made again by the next delivery that needs it", async () => {
    const reads = batchReads();
    await expect(reads.payload("message-1", () => Promise.reject(new Error("R2 overloaded")))).rejects.toThrow("R2 overloaded");
    await expect(reads.payload("message-1", async () => "{}")).resolves.toBe("{}");
  });

  it(`the worst full batch (1,000 deliveries, each its own endpoint and R2 payload) makes at most ${KV_R2_READS_PER_BATCH} reads; the rest are refused`, async () => {
    const reads = batchReads();
    const outcomes = await Promise.allSettled(
      Array.from({ length: 1_000 }, (_, i) => [reads.secret(`endpoint:e${i}:0`, async () => SET), reads.payload(`message-${i}`, async () => "{}")]).flat(),
    );
    const refused = outcomes.filter((o) => o.status === "rejected" && o.reason instanceof ReadBudgetSpent);
    expect(reads.spent).toBe(KV_R2_READS_PER_BATCH);
    expect(refused).toHaveLength(2_000 - KV_R2_READS_PER_BATCH);
  });
});
