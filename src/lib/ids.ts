/**
 * Message and delivery ids: RFC 9562 version-7 UUIDs (time-ordered) that also carry where the
 * message row lives, so every lookup is a primary-key seek without a secondary index.
 *
 * Layout of the 32 hex digits of a message id:
 *   0–11  unix time, ms (48 bits)          12     '7' (version)
 *   13–15 sequence (7 bits) + 5 random bits 16    variant (8–b, 2 random bits)
 *   17–20 the tenant's bucket (15 bits)    21–27  random (28 bits)
 *   28–31 0000 for a message; a delivery has its ordinal + 1 there
 * The message row's key (its SQLite rowid, see migrations/0001) is
 * bucket << 47 | (ms − KEY_EPOCH_MS) << 7 | sequence, so one tenant's messages are one rowid range.
 */

/** Milliseconds subtracted from a message's time in its row key: 2025-01-01T00:00:00Z (40 bits last until 2059). */
export const KEY_EPOCH_MS = Date.UTC(2025, 0, 1);
/** Most deliveries one message may have: the ordinal fits 4 hex digits, and 0000 names the message. */
export const MAX_TARGETS_PER_MESSAGE = 0xffff;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** The 15-bit bucket of a tenant id (FNV-1a over its UTF-16 code units, folded): keys stay below 2^62. */
export function tenantBucket(tenantId: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < tenantId.length; i++) {
    hash ^= tenantId.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return ((hash >>> 16) ^ hash) & 0x7fff;
}

const hex = (value: number, digits: number) => value.toString(16).padStart(digits, "0");

function randomBits(count: number): number {
  const [value] = crypto.getRandomValues(new Uint32Array(1));
  return value! >>> (32 - count);
}

/** How many message ids one tenant bucket has per millisecond: the 7-bit sequence of the row key. */
export const SEQUENCES_PER_MS = 128;

/**
 * A new message id for a tenant at `nowMs` (epoch ms), with the given 7-bit sequence (0–127) or a
 * random one. Ids of one tenant, millisecond and sequence share a row key: a batch gives its
 * messages distinct sequences.
 */
export function newMessageId(tenantId: string, nowMs: number, seq = randomBits(7)): string {
  const digits =
    hex(nowMs, 12) +
    "7" +
    hex((seq << 5) | randomBits(5), 3) +
    hex(0x8 | randomBits(2), 1) +
    hex(tenantBucket(tenantId), 4) +
    hex(randomBits(28), 7) +
    "0000";
  return `${digits.slice(0, 8)}-${digits.slice(8, 12)}-${digits.slice(12, 16)}-${digits.slice(16, 20)}-${digits.slice(20)}`;
}

/** The parts of a message row's key, as SQL computes it: `(bucket << 47) | (offset << 7) | seq`. */
export interface MessageKey {
  bucket: number;
  /** Milliseconds since KEY_EPOCH_MS. */
  offset: number;
  seq: number;
}

/** A message row's key as decimal text: it takes up to 62 bits, more than a JS number holds exactly (SQL casts it back). */
export function rowKeyText(key: MessageKey): string {
  return ((BigInt(key.bucket) << 47n) | (BigInt(key.offset) << 7n) | BigInt(key.seq)).toString();
}

/** Whether `id` has the shape of a message or delivery id this relay issues. */
export function isRelayId(id: string): boolean {
  return UUID.test(id);
}

/** The row key of the message a message or delivery id belongs to; null for an id this relay never issued. */
export function messageKeyOf(id: string): MessageKey | null {
  if (!isRelayId(id)) return null;
  const digits = id.replace(/-/g, "");
  const ms = parseInt(digits.slice(0, 12), 16);
  if (ms < KEY_EPOCH_MS) return null;
  return { bucket: parseInt(digits.slice(17, 21), 16), offset: ms - KEY_EPOCH_MS, seq: parseInt(digits.slice(13, 16), 16) >> 5 };
}

/**
 * The packed form of a message id in its row (migrations/shard/0014): the 11 hex digits its row key
 * does not carry (13–16: sequence and random bits; 21–27: random bits) and a 0, as 12 hex digits for
 * SQL's unhex() (a 6-byte BLOB, against 36 bytes of text). The row's generated `id` column puts the
 * key's time and tenant bucket back around them. `key` is the id's row key (messageKeyOf), passed by
 * a caller that has parsed it already so the id is not parsed twice.
 * @throws Error for an id this relay never issued as a message id (it would not come back the same)
 */
export function packedMessageId(id: string, key: MessageKey | null = messageKeyOf(id)): string {
  if (key === null || !id.endsWith("0000")) throw new Error(`not a message id: ${id}`);
  const digits = id.replace(/-/g, "");
  return `${digits.slice(13, 17)}${digits.slice(21, 28)}0`;
}

/** When (epoch ms) a message was created, from its id (or a delivery's); 0 for an id this relay never issued. */
export function messageCreatedAt(id: string): number {
  return isRelayId(id) ? parseInt(id.slice(0, 8) + id.slice(9, 13), 16) : 0;
}

/** The id of delivery number `ordinal` (0-based, in the message's `targets` order) of a message. */
export function deliveryIdOf(messageId: string, ordinal: number): string {
  return messageId.slice(0, 32) + hex(ordinal + 1, 4);
}

/** The message id of a delivery id (or of a message id: itself). */
export function messageIdOf(id: string): string {
  return `${id.slice(0, 32)}0000`;
}

/** The 0-based ordinal of a delivery in its message's `targets`; -1 for a message id. */
export function ordinalOf(deliveryId: string): number {
  return parseInt(deliveryId.slice(32), 16) - 1;
}

/**
 * The smallest id of anything created at or after `ms` (epoch ms): ids compare as strings in time
 * order, so `id < idFloor(t)` means "created before t".
 */
export function idFloor(ms: number): string {
  const digits = hex(Math.max(0, ms), 12);
  return `${digits.slice(0, 8)}-${digits.slice(8, 12)}-0000-0000-000000000000`;
}

/** SQL for the integer value of `len` hex digits of `digits` (a hex string SQL expression) from 1-based `start`. */
function sqlHexInt(digits: string, start: number, len: number): string {
  const terms = Array.from({ length: len }, (_, i) => `((instr('0123456789abcdef', substr(${digits}, ${start + i}, 1)) - 1) << ${4 * (len - 1 - i)})`);
  return `(${terms.join(" + ")})`;
}

/**
 * SQL for the row key of the message that the id in SQL expression `id` (a message or delivery id)
 * belongs to: lets a statement reach the message of a delivery by its rowid.
 */
export function sqlMessageKeyOf(id: string): string {
  const digits = `replace(${id}, '-', '')`;
  return `((${sqlHexInt(digits, 18, 4)} << 47) | ((${sqlHexInt(digits, 1, 12)} - ${KEY_EPOCH_MS}) << 7) | (${sqlHexInt(digits, 14, 3)} >> 5))`;
}

/** SQL for a message row key from three SQL expressions (bucket, offset, seq). */
export const SQL_MESSAGE_KEY = (bucket: string, offset: string, seq: string) => `((${bucket} << 47) | (${offset} << 7) | ${seq})`;

/** SQL for the first key a message of tenant bucket `bucket` created at or after `ms` (epoch ms; both SQL expressions) can have. */
export const SQL_KEY_FLOOR = (bucket: string, ms: string) => SQL_MESSAGE_KEY(bucket, `(max(${ms}, ${KEY_EPOCH_MS}) - ${KEY_EPOCH_MS})`, "0");

/** SQL for the first key of a tenant bucket's range, and the first key past it. */
export const SQL_BUCKET_START = (bucket: string) => `(${bucket} << 47)`;
export const SQL_BUCKET_END = (bucket: string) => `((${bucket} + 1) << 47)`;
