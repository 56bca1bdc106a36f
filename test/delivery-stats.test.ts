import { describe, expect, it } from "vitest";
import { hourlyDeliveryCounts } from "../src/db/delivery-stats";
import { deliveryIdOf, newMessageId } from "../src/lib/ids";
import { newTenant } from "./support/api";
import { shardOf } from "./support/shards";

const HOUR = 3_600_000;
// A fixed "now" half past an hour, so bucket edges are unambiguous.
const NOW = Date.UTC(2026, 10, 23, 12, 30);

/** Stores one message with deliveries of the given states and ages (D1 rows, as enqueue writes them). */
async function storeDeliveries(tenantId: string, endpointId: string | null, rows: Array<{ status: string; at: number }>) {
  const shard = await shardOf(tenantId);
  for (const row of rows) {
    await shard.prepare(
      `INSERT INTO deliveries (id, tenant_id, endpoint_id, status, packed_queue_token, created_at, updated_at)
       VALUES (?, ?, ?, ?, 't', ?, ?)`,
    )
      .bind(deliveryIdOf(newMessageId(tenantId, row.at), 0), tenantId, endpointId ?? "", row.status, row.at, row.at)
      .run();
  }
}

describe("hourlyDeliveryCounts", () => {
  it("counts the last 24 hours per hour, oldest first, with empty hours as zeros", async () => {
    const tenant = await newTenant();
    await storeDeliveries(tenant.id, null, [
      { status: "succeeded", at: NOW - 10 * 60_000 },
      { status: "failed", at: NOW - 20 * 60_000 },
      { status: "pending", at: NOW - 29 * 60_000 },
      { status: "succeeded", at: NOW - 23 * HOUR },
      { status: "succeeded", at: NOW - 25 * HOUR },
    ]);
    const hours = await hourlyDeliveryCounts(await shardOf(tenant.id), tenant.id, { now: NOW, hours: 24 });
    expect(hours).toHaveLength(24);
    expect(hours[23]).toEqual({ start: Date.UTC(2026, 10, 23, 12), total: 3, succeeded: 1, failed: 1 });
    expect(hours[0]).toEqual({ start: Date.UTC(2026, 10, 22, 13), total: 1, succeeded: 1, failed: 0 });
    expect(hours.slice(1, 23).every((h) => h.total === 0)).toBe(true);
  });

  it("never counts another tenant's deliveries", async () => {
    const tenant = await newTenant();
    const other = await newTenant();
    await storeDeliveries(other.id, null, [{ status: "succeeded", at: NOW - 60_000 }]);
    const hours = await hourlyDeliveryCounts(await shardOf(tenant.id), tenant.id, { now: NOW, hours: 24 });
    expect(hours.reduce((n, h) => n + h.total, 0)).toBe(0);
  });
});
