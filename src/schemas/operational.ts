import { z } from "@hono/zod-openapi";
import { Timestamp } from "./common";

/**
 * Operational events: what the relay itself tells the platform (and, when they subscribe, tenants)
 * about their endpoints. Each is the JSON body of a message of that event type.
 */

/** The operational event types; endpoints subscribe to them by name like to any event. */
export const OPERATIONAL_EVENT_TYPES = ["endpoint.disabled", "endpoint.enabled", "endpoint.failing", "delivery.exhausted"] as const;
export type OperationalEventType = (typeof OPERATIONAL_EVENT_TYPES)[number];

const about = {
  tenant_id: z.string().openapi({ description: "The tenant whose endpoint (or delivery) this is", example: "acme" }),
  endpoint_id: z.string().openapi({ example: "0b7f5e4e-6a43-4a4e-9a51-1d7e2f9b3c10" }),
  occurred_at: Timestamp.openapi({ description: "When the transition happened" }),
};

const attempt = {
  message_id: z.string().openapi({ example: "019ae0b3-5c2a-7b1e-8000-1a2b3c4d0000" }),
  delivery_id: z.string().openapi({ example: "019ae0b3-5c2a-7b1e-8000-1a2b3c4d0001" }),
  status_code: z.number().int().nullable().openapi({ description: "The receiver's HTTP status; null when it never answered (timeout, network error)" }),
  error: z.string().nullable().openapi({ example: "Receiver answered 500" }),
};

/** Why an endpoint was disabled. */
export const DisableReason = z.enum(["failures", "gone", "manual"]).openapi({
  description:
    "`failures`: disabled automatically, every delivery having failed for AUTO_DISABLE_AFTER_SECONDS; `gone`: the receiver answered 410 Gone; " +
    "`manual`: disabled by a PATCH (API or dashboard) with `enabled: false`",
});

export const EndpointDisabledEvent = z
  .object({ type: z.literal("endpoint.disabled"), ...about, reason: DisableReason, detail: z.string().nullable().openapi({ description: "The endpoint's `disabled_reason`" }) })
  .openapi("EndpointDisabledEvent");

export const EndpointEnabledEvent = z.object({ type: z.literal("endpoint.enabled"), ...about }).openapi("EndpointEnabledEvent");

export const EndpointFailingEvent = z
  .object({ type: z.literal("endpoint.failing"), ...about, ...attempt })
  .openapi("EndpointFailingEvent", { description: "The endpoint's first failed attempt since its last success (or since it was created): once per failure streak" });

export const DeliveryExhaustedEvent = z
  .object({
    type: z.literal("delivery.exhausted"),
    ...about,
    endpoint_id: about.endpoint_id.nullable().openapi({ description: "null for a one-off `webhook_url` delivery" }),
    ...attempt,
  })
  .openapi("DeliveryExhaustedEvent", { description: "A delivery failed on its last attempt (or failed permanently): it is `failed` until replayed" });

export const OperationalEvent = z.discriminatedUnion("type", [EndpointDisabledEvent, EndpointEnabledEvent, EndpointFailingEvent, DeliveryExhaustedEvent]);
export type OperationalEvent = z.infer<typeof OperationalEvent>;
