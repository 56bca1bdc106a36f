import { z } from "@hono/zod-openapi";
import { IDEMPOTENCY_KEY_HEADER, MAX_ORDERING_KEY_LENGTH, MAX_SCHEDULE_SECONDS, IDEMPOTENCY_WINDOW_TEXT, MAX_BATCH_MESSAGES, MAX_ENDPOINT_IDS, MAX_IDEMPOTENCY_KEY_LENGTH, MAX_JSON_DEPTH, SCAN_SLACK } from "../limits";
import { jsonDepthExceeds } from "../security/json-depth";
import { EventType, SourceName, TargetUrl } from "./fields";
import { Timestamp } from "./common";

/** The fields of one message to enqueue, before the check that ties two of them. */
const EnqueueFields = z
  .object({
    event: EventType,
    payload: z
      .unknown()
      .refine((v) => v !== undefined, { message: "payload is required (any JSON value)" })
      .refine((v) => !jsonDepthExceeds(v, MAX_JSON_DEPTH), { message: `payload nests arrays and objects deeper than ${MAX_JSON_DEPTH} levels` })
      .openapi({
        description:
          "Any JSON value. Its exact text in this request (every number, string escape and key order; whitespace inside kept, " +
          "around it dropped) is the body every receiver gets and what polling returns",
        example: { document_id: "doc_123", status: "predicted" },
      }),
    source: SourceName.optional(),
    endpoint_ids: z
      .array(z.uuid())
      .min(1)
      .max(MAX_ENDPOINT_IDS)
      .refine((ids) => new Set(ids).size === ids.length, { message: "endpoint ids must be unique" })
      .optional(),
    webhook_url: TargetUrl.optional(),
    delay_seconds: z
      .number()
      .int()
      .min(0)
      .max(MAX_SCHEDULE_SECONDS)
      .optional()
      .openapi({ description: "Deliver this many seconds after enqueue (at most 30 days); its deliveries are `scheduled` until then", example: 60 }),
    deliver_at: z.iso
      .datetime({ offset: true })
      .optional()
      .openapi({
        description: "Deliver at this time (RFC 3339, at most 30 days ahead; a time in the past means now); its deliveries are `scheduled` until then",
        example: "2026-12-08T09:00:00Z",
      }),
    ordering_key: z
      .string()
      .min(1)
      .max(MAX_ORDERING_KEY_LENGTH)
      .optional()
      .openapi({
        description:
          `On a FIFO endpoint (\`ordering: "fifo"\`), the order this message keeps (1–${MAX_ORDERING_KEY_LENGTH} characters): its delivery waits ` +
          "only for earlier messages with the same key, so one key's failing delivery never holds another key's. Messages without a key share " +
          "one order. Ignored by other endpoints. See the endpoint's `ordering` for what \"in order\" promises",
        example: "order_8812",
      }),
  })
  .strict();

/** A message asks for a delay or a time, never both. */
const oneScheduleAtMost: [(m: { delay_seconds?: number; deliver_at?: string }) => boolean, { message: string; path: string[] }] = [
  (m) => m.delay_seconds === undefined || m.deliver_at === undefined,
  { message: "give delay_seconds or deliver_at, not both", path: ["deliver_at"] },
];

/** Body of `POST …/messages`. */
export const EnqueueBody = EnqueueFields.refine(...oneScheduleAtMost).openapi("EnqueueMessage");

/** An idempotency key, as the Idempotency-Key header or a batch item's `idempotency_key` carries it. */
const IdempotencyKey = z
  .string()
  .min(1)
  .max(MAX_IDEMPOTENCY_KEY_LENGTH)
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII without spaces");

/**
 * The Content-Encoding request header of the enqueue routes. Documentation only: the body is
 * decoded (and the header dropped) before validation, by src/routes/request-body.ts.
 */
const ContentEncoding = z
  .string()
  .optional()
  .openapi({
    description:
      "`gzip`, `deflate` (zlib format) or `br` to send the body compressed; absent or `identity` for none. The decompressed body is held to the " +
      "same size limit as an uncompressed one (413 as soon as decompression passes it). Any other coding: 415 `unsupported_content_encoding`; " +
      "data that is not valid in the named coding: 400 `corrupt_compressed_body`",
    example: "gzip",
  });

/** The request headers of both enqueue routes (`POST …/messages` and `…/messages/batch`): Idempotency-Key and Content-Encoding. */
export const EnqueueHeaders = z.object({
  [IDEMPOTENCY_KEY_HEADER]: IdempotencyKey.optional().openapi({
    description: `Replays within ${IDEMPOTENCY_WINDOW_TEXT} return the first response and store nothing new`,
  }),
  "content-encoding": ContentEncoding,
});

/** One message of `POST …/messages/batch`: an enqueue body with its own optional idempotency key. */
export const BatchItem = EnqueueFields.extend({
  idempotency_key: IdempotencyKey.optional().openapi({
    description: `Works as the Idempotency-Key header of a single enqueue (the same keys: a batch item can replay a single enqueue and the other way round)`,
  }),
})
  .refine(...oneScheduleAtMost)
  .openapi("BatchMessage");

/** Body of `POST …/messages/batch`. */
export const BatchEnqueueBody = z
  .object({
    messages: z
      .array(BatchItem)
      .min(1)
      .max(MAX_BATCH_MESSAGES)
      .superRefine((items, ctx) => {
        const first = new Map<string, number>();
        items.forEach((item, index) => {
          if (item.idempotency_key === undefined) return;
          const earlier = first.get(item.idempotency_key);
          if (earlier === undefined) first.set(item.idempotency_key, index);
          else ctx.addIssue({ code: "custom", path: [index, "idempotency_key"], message: `repeats the idempotency_key of messages.${earlier}` });
        });
      }),
  })
  .strict()
  .openapi("BatchEnqueue");

/** Every state a delivery can be in, in the order lists and filters offer them. */
export const DeliveryStatus = z.enum(["scheduled", "pending", "retrying", "succeeded", "failed", "cancelled"]);
export type DeliveryStatus = z.infer<typeof DeliveryStatus>;

/** How one attempt ended: delivered, failed but worth retrying, or failed for good. */
export const AttemptOutcome = z.enum(["ok", "retryable", "permanent"]);
export type AttemptOutcome = z.infer<typeof AttemptOutcome>;

/** What every view of a message shows of it. */
const messageFields = {
  id: z.string().openapi({ description: "A UUIDv7 (time-ordered) ending in 0000; its deliveries' ids differ only in those last 4 hex digits" }),
  event: z.string(),
  source: z.string().nullable(),
  created_at: Timestamp,
};

/** 202 response of an enqueue. */
export const EnqueuedSchema = z
  .object({
    ...messageFields,
    deliveries: z.array(z.object({ id: z.string(), endpoint_id: z.string().nullable(), status: DeliveryStatus })),
  })
  .openapi("EnqueuedMessage");

/** 202 response of a batch enqueue: one single-enqueue response per message, in the request's order. */
export const BatchEnqueuedSchema = z
  .object({
    messages: z.array(
      EnqueuedSchema.extend({
        replayed: z.literal(true).optional().openapi({
          description: "Present on a message whose idempotency_key replayed an earlier request: this is that request's response, nothing new was stored",
        }),
      }).openapi("BatchEnqueuedMessage"),
    ),
  })
  .openapi("BatchEnqueued");

/** A delivery's state as polling shows it. */
export const DeliverySummarySchema = z
  .object({
    id: z.string().openapi({ description: "Its message's id with the last 4 hex digits = the delivery's ordinal + 1" }),
    message_id: z.string(),
    endpoint_id: z.string().nullable(),
    url: z.string().nullable().openapi({ description: "The one-off webhook_url; null for endpoint deliveries" }),
    status: DeliveryStatus,
    attempt_count: z.number().int(),
    next_attempt_at: Timestamp.nullable(),
    last_attempt_at: Timestamp.nullable(),
    last_status_code: z.number().int().nullable(),
    last_error: z.string().nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("DeliverySummary");

/** `GET …/messages/{id}`: the message, its payload and each delivery's state. */
export const MessageSchema = z
  .object({
    ...messageFields,
    payload: z.unknown().openapi({
      description:
        "The payload exactly as enqueued: the same JSON text, byte for byte, that every receiver gets as the body. Stored Brotli-compressed " +
        "in D1, or in R2 when over 8 KiB compressed; kept for RETENTION_DAYS",
    }),
    deliveries: z.array(DeliverySummarySchema),
  })
  .openapi("Message");

/** A message in a list (no payload). */
export const MessageListItemSchema = z.object(messageFields).openapi("MessageListItem");

/** What a filtered list promises about its pages (issue 25): the OpenAPI description of its filters. */
export const SCANNED_FILTER_TEXT =
  `examines at most the page size + ${SCAN_SLACK} newest of the remaining items per call, so a page may hold fewer items than \`limit\`, ` +
  "even none, and still carry a `next_cursor`: follow it until `next_cursor` is null to see every match";

/** Query of `GET …/messages`. */
export const ListMessagesQuery = z.object({
  event: EventType.optional().openapi({ param: { name: "event", in: "query" }, description: `Only messages of this exact event type. The list ${SCANNED_FILTER_TEXT}.` }),
  source: SourceName.optional().openapi({ param: { name: "source", in: "query" }, description: `Only messages from this source. The list ${SCANNED_FILTER_TEXT}.` }),
  since: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ param: { name: "since", in: "query" }, description: "Only messages created at or after this time (a bound on the list's range: pages stay full)" }),
});

/** One attempt of a delivery. */
export const AttemptSchema = z
  .object({
    id: z.string().openapi({ description: "`{delivery id}:{attempt}`" }),
    attempt: z.number().int(),
    outcome: AttemptOutcome,
    status_code: z.number().int().nullable(),
    error_kind: z.string().nullable(),
    error: z.string().nullable(),
    duration_ms: z.number().int(),
    response_body: z.string().nullable().openapi({ description: "The first 1 KiB of the receiver's answer (UTF-8)" }),
    created_at: Timestamp,
  })
  .openapi("Attempt");

/** `GET …/deliveries/{id}`: one delivery with its attempts. */
export const DeliverySchema = DeliverySummarySchema.extend({
  event: z.string(),
  attempts: z.array(AttemptSchema),
}).openapi("Delivery");

/** Query of `GET …/deliveries`. */
export const ListDeliveriesQuery = z.object({
  endpoint_id: z.uuid().optional().openapi({ param: { name: "endpoint_id", in: "query" } }),
  message_id: z.uuid().optional().openapi({ param: { name: "message_id", in: "query" } }),
  status: DeliveryStatus.optional().openapi({
    param: { name: "status", in: "query" },
    description: `\`failed\` and \`cancelled\` are listed through an index, in full pages. Any other status is transient or common, and the list ${SCANNED_FILTER_TEXT}.`,
  }),
  since: z.iso
    .datetime({ offset: true })
    .optional()
    .openapi({ param: { name: "since", in: "query" }, description: "Only deliveries created at or after this time (a bound on the list's range)" }),
});

/** Body of `POST …/endpoints/{id}/recover`. */
export const RecoverBody = z
  .object({ since: z.iso.datetime({ offset: true }).openapi({ example: "2026-11-22T00:00:00Z" }) })
  .strict()
  .openapi("RecoverFailed");

/** Response of a replay (`…/retry`, `…/recover`). */
export const ReplayedSchema = z
  .object({ deliveries: z.array(z.object({ id: z.string(), status: z.literal("pending") })) })
  .openapi("Replayed");

/** The 202 body of an enqueue (also returned verbatim for an idempotent replay). */
export type EnqueueResponse = z.infer<typeof EnqueuedSchema>;
