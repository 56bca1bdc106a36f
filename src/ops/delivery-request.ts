import { USER_AGENT } from "../delivery/send";
import type { Endpoint } from "../schemas/endpoints";
import { getDelivery } from "./deliveries";
import { findEndpoint } from "./endpoints";
import { getMessage } from "./messages";

/** One request header of an attempt, as the dashboard lists it. */
export interface SentHeader {
  name: string;
  value: string;
  /** `custom`: one of the endpoint's static headers; `signature`: not stored, described instead. */
  kind: "system" | "signature" | "custom";
}

/**
 * The headers an attempt made at `attemptAt` (epoch ms) was sent with, rebuilt from what the
 * relay stores: the fixed ones, `webhook-id` (the message id) and `webhook-timestamp` (the
 * attempt's second), the signature header(s) of the endpoint's scheme, and the endpoint's static
 * headers as configured now. Signature values are not stored (they are recomputed per attempt from
 * the secret), so they are described, not shown. A one-off `webhook_url` delivery (no endpoint)
 * is signed with the standard scheme.
 */
export function attemptHeaders(endpoint: Endpoint | null, messageId: string, attemptAt: number): SentHeader[] {
  const timestamp = String(Math.floor(attemptAt / 1000));
  const headers: SentHeader[] = [
    { name: "content-type", value: "application/json", kind: "system" },
    { name: "user-agent", value: USER_AGENT, kind: "system" },
    { name: "webhook-id", value: messageId, kind: "system" },
    { name: "webhook-timestamp", value: timestamp, kind: "system" },
  ];
  const signature = endpoint?.signature ?? { scheme: "standard" as const };
  if (signature.scheme === "hmac-sha256") {
    headers.push({
      name: (signature.header ?? "X-Webhook-Signature").toLowerCase(),
      value: `${signature.prefix ?? ""}<hex HMAC-SHA256 of the body with the current secret>`,
      kind: "signature",
    });
  } else if (signature.scheme === "ed25519") {
    headers.push({ name: "webhook-signature", value: `v1a,<base64 Ed25519 signature of "${messageId}.${timestamp}.<body>">, one per valid key`, kind: "signature" });
  } else {
    headers.push({ name: "webhook-signature", value: `v1,<base64 HMAC-SHA256 of "${messageId}.${timestamp}.<body>">, one per valid secret`, kind: "signature" });
  }
  for (const [name, value] of Object.entries(endpoint?.headers ?? {})) headers.push({ name: name.toLowerCase(), value, kind: "custom" });
  return headers;
}

/**
 * Everything the dashboard's delivery page shows: the delivery with its attempts, the message's
 * payload exactly as stored, and the endpoint (null for a one-off `webhook_url` delivery or a
 * deleted endpoint). 404 when the tenant has no such delivery.
 */
export async function deliveryWithPayload(env: Env, tenantId: string, deliveryId: string) {
  const delivery = await getDelivery(env, tenantId, deliveryId);
  const [message, endpoint] = await Promise.all([
    getMessage(env, tenantId, delivery.message_id),
    delivery.endpoint_id ? findEndpoint(env, tenantId, delivery.endpoint_id) : null,
  ]);
  return { delivery, payload: message.payload, endpoint };
}
