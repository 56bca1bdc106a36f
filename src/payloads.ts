import { compressText, decompressText } from "./lib/compression";
import { R2_PAYLOAD_THRESHOLD_BYTES } from "./limits";

/**
 * Where a message's payload lives: Brotli-compressed in its D1 row, or, when the compressed
 * form is over R2_PAYLOAD_THRESHOLD_BYTES, in R2 (binding PAYLOADS) under `payloads/{tenant}/{message}`.
 * Either way the exact text comes back (issue 10: receivers, polling and signatures see the same bytes).
 */

/**
 * R2 failed to write or read a payload: nothing says the request itself is at fault, so the API
 * answers 503 with Retry-After, as for a busy D1 (R2 asks callers to retry its internal errors:
 * developers.cloudflare.com/r2/api/error-codes/).
 */
export class PayloadStorageUnavailable extends Error {
  override name = "PayloadStorageUnavailable";
}

/** Runs one R2 call, turning its failure into PayloadStorageUnavailable. */
async function r2<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    throw new PayloadStorageUnavailable(`R2 ${what} failed: ${(error as Error).message}`, { cause: error });
  }
}

/** A payload ready for the message row: its bytes there, or null with `inR2` when R2 holds it. */
export interface StoredPayload {
  bytes: Uint8Array | null;
  inR2: boolean;
}

/** The R2 key of a message's payload. */
export function payloadKey(tenantId: string, messageId: string): string {
  return `payloads/${tenantId}/${messageId}`;
}

/**
 * Compresses a payload and, when it is large, writes it to R2 first, so that a crash between the
 * two leaves at most an orphan object, never a message row without its payload.
 * @throws PayloadStorageUnavailable when R2 refuses the write
 */
export async function storePayload(env: Pick<Env, "PAYLOADS">, tenantId: string, messageId: string, text: string): Promise<StoredPayload> {
  const bytes = compressText(text);
  if (bytes.byteLength <= R2_PAYLOAD_THRESHOLD_BYTES) return { bytes, inR2: false };
  await r2("write", () => env.PAYLOADS.put(payloadKey(tenantId, messageId), bytes));
  return { bytes: null, inR2: true };
}

/**
 * The exact payload text of a message row.
 *
 * @throws Error when R2 no longer holds the payload of a row that says it does
 * @throws PayloadStorageUnavailable when R2 fails the read
 */
export async function readPayload(
  env: Pick<Env, "PAYLOADS">,
  row: { tenant_id: string; message_id: string; payload: ArrayLike<number> | null; payload_r2: number },
): Promise<string> {
  if (!row.payload_r2) return decompressText(row.payload!);
  const bytes = await r2("read", async () => {
    const object = await env.PAYLOADS.get(payloadKey(row.tenant_id, row.message_id));
    return object ? new Uint8Array(await object.arrayBuffer()) : null;
  });
  if (!bytes) throw new Error(`payload of message ${row.message_id} is missing from R2`);
  return decompressText(bytes);
}

/**
 * Deletes the R2 payloads of purged messages (R2 takes at most 1,000 keys per call).
 * @throws PayloadStorageUnavailable when R2 refuses a delete
 */
export async function deletePayloads(env: Pick<Env, "PAYLOADS">, messages: Array<{ tenant_id: string; id: string }>): Promise<void> {
  const keys = messages.map((m) => payloadKey(m.tenant_id, m.id));
  for (let i = 0; i < keys.length; i += 1000) await r2("delete", () => env.PAYLOADS.delete(keys.slice(i, i + 1000)));
}
