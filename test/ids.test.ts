import { expect, it } from "vitest";
import { deliveryIdOf, idFloor, isRelayId, messageIdOf, messageKeyOf, newMessageId, ordinalOf, tenantBucket } from "../src/lib/ids";

it("a message id is a version-7 UUID ending in 0000 that carries the tenant's bucket and its millisecond", () => {
  const at = Date.UTC(2026, 10, 29, 12);
  const id = newMessageId("tenant-a", at);
  expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{8}0000$/);
  expect(isRelayId(id)).toBe(true);
  expect(messageKeyOf(id)).toMatchObject({ bucket: tenantBucket("tenant-a"), offset: at - Date.UTC(2025, 0, 1) });
});

it("ids sort in creation order, and idFloor(t) sorts between ids made before and at t", () => {
  const early = newMessageId("t", 1_800_000_000_000);
  const late = newMessageId("t", 1_800_000_000_001);
  expect(early < idFloor(1_800_000_000_001)).toBe(true);
  expect(idFloor(1_800_000_000_001) <= late).toBe(true);
});

it("a delivery id names its message and its ordinal", () => {
  const message = newMessageId("t", Date.now());
  const third = deliveryIdOf(message, 2);
  expect(third.slice(-4)).toBe("0003");
  expect(messageIdOf(third)).toBe(message);
  expect(ordinalOf(third)).toBe(2);
  expect(messageKeyOf(third)).toEqual(messageKeyOf(message));
});

it("an id this relay never issued (a UUIDv4) has no message key", () => {
  expect(messageKeyOf(crypto.randomUUID())).toBeNull();
});
