import { describe, expect, it } from "vitest";
import { recordBatchResults, type AttemptRecord } from "../../src/db/batch-records";
import type { WokenDelivery } from "../../src/db/sql";

const NOW = Date.UTC(2026, 11, 7, 12);

/** A statement as the fake binding saw it prepared and bound. */
interface Bound {
  sql: string;
  params: unknown[];
}

/** The wake of a FIFO order is the one statement of the record that reads endpoints' ordering. */
const isWake = (s: Bound) => s.sql.includes("e.ordering = 'fifo'");

/**
 * A D1 binding that keeps the statements of each batch it is given, unrun, and answers the wake
 * with `woken` and every other statement with no rows.
 */
function fakeD1(woken: WokenDelivery[] = []) {
  const batches: Bound[][] = [];
  const statement = (sql: string, params: unknown[]): Bound & { bind: (...values: unknown[]) => unknown } => ({
    sql,
    params,
    bind: (...values: unknown[]) => statement(sql, values),
  });
  const db = {
    prepare: (sql: string) => statement(sql, []),
    async batch(statements: Bound[]) {
      batches.push(statements);
      return statements.map((s) => ({ results: isWake(s) ? woken : [] }));
    },
  } as unknown as D1Database;
  return { db, batches };
}

let serial = 0;

/** An attempt record of a new delivery: succeeded, outside any FIFO order, unless `overrides` say otherwise. */
function attempt(overrides: Partial<AttemptRecord> = {}): AttemptRecord {
  serial++;
  return {
    deliveryId: `d${serial}`, tenantId: "t1", endpointId: "e1", queueToken: `token-${serial}`, seenLastAttemptAt: null, outcome: "ok",
    statusCode: 200, errorKind: null, error: null, durationMs: 20, responseBody: "ok", at: NOW, status: "succeeded", nextAttemptAt: null,
    inOrder: false, ...overrides,
  };
}

const RETRYING: Partial<AttemptRecord> = { outcome: "retryable", statusCode: 500, status: "retrying", nextAttemptAt: NOW + 5_000 };

describe("recording a batch wakes a FIFO order only when a record may close a place in one", () => {
  it("a batch without FIFO deliveries writes its attempts in two statements and runs no wake", async () => {
    const { db, batches } = fakeD1();
    await recordBatchResults(db, [attempt(), attempt({ ...RETRYING }), attempt({ outcome: "permanent", status: "failed" })], [], []);
    expect(batches).toHaveLength(1);
    expect(batches[0]!).toHaveLength(2);
    expect(batches[0]!.filter(isWake)).toEqual([]);
  });

  it("a FIFO delivery that will be retried closes no place, so its batch runs no wake", async () => {
    const { db, batches } = fakeD1();
    await recordBatchResults(db, [attempt({ ...RETRYING, inOrder: true })], [], []);
    expect(batches[0]!.filter(isWake)).toEqual([]);
  });

  it("a FIFO delivery that succeeded or failed for good runs one wake, given only the records that close a place", async () => {
    const { db, batches } = fakeD1();
    const succeeded = attempt({ inOrder: true });
    const failed = attempt({ inOrder: true, outcome: "permanent", status: "failed" });
    await recordBatchResults(db, [attempt(), succeeded, attempt({ ...RETRYING, inOrder: true }), failed], [], []);
    const wakes = batches[0]!.filter(isWake);
    expect(wakes).toHaveLength(1);
    const records = JSON.parse(wakes[0]!.params[0] as string) as Array<{ deliveryId: string }>;
    expect(records.map((r) => r.deliveryId)).toEqual([succeeded.deliveryId, failed.deliveryId]);
  });

  it("the deliveries the wake made heads of their order are reported as woken", async () => {
    const next: WokenDelivery = { tenant_id: "t1", endpoint_id: "e1", delivery_id: "d-next", token: "new-chain" };
    const { db } = fakeD1([next]);
    const recorded = await recordBatchResults(db, [attempt({ inOrder: true })], [], []);
    expect(recorded.woken).toEqual([next]);
  });
});
