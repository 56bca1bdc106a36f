import { toBytes } from "./encoding.ts";
import { verifyWebhook, type VerifiedWebhook, type VerifyOptions, type WebhookHeaders } from "./verify.ts";

/** A verified delivery with its body. */
export interface VerifiedDelivery extends VerifiedWebhook {
  /** The body as text. */
  body: string;
  /** The body parsed as JSON (Edgehook always sends JSON); undefined if it is not JSON. */
  payload: unknown;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Verifies a raw body with its headers and returns it with the delivery's id, timestamp and parsed payload. */
export async function verifyDelivery(body: Uint8Array | ArrayBuffer, headers: WebhookHeaders, options: VerifyOptions): Promise<VerifiedDelivery> {
  const verified = await verifyWebhook(body, headers, options);
  const text = new TextDecoder().decode(toBytes(body));
  return { ...verified, body: text, payload: parseJson(text) };
}

/**
 * Verifies a fetch-API `Request` (Workers, Deno, Bun, Node ≥ 18). It reads the body, so pass
 * `request.clone()` if you need the request again afterwards. Throws like `verifyWebhook`.
 */
export async function verifyRequest(request: Request, options: VerifyOptions): Promise<VerifiedDelivery> {
  return verifyDelivery(await request.arrayBuffer(), request.headers, options);
}
