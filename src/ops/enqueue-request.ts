import type { z } from "zod";
import { ApiError } from "../errors";
import { memberText, memberTextOfEach } from "../lib/json-text";
import type { BatchEnqueueBody, EnqueueBody } from "../schemas/messages";

/**
 * What the enqueue pipeline (src/ops/enqueue.ts) takes: validated messages with their payloads'
 * exact text, and how the route's body names their fields in errors.
 */

/** A validated enqueue request: one message. */
export interface EnqueueRequest {
  tenantId: string;
  event: string;
  /** The exact bytes every receiver will get as the body. */
  payload: string;
  /** The same payload as the request body's JSON.parse read it: what schemas and filters look at, parsed once. */
  value: unknown;
  source: string | null;
  endpointIds?: string[];
  webhookUrl?: string;
  /** `delay_seconds`: deliver this many seconds after the message is stored. */
  delaySeconds?: number;
  /** `deliver_at` (epoch ms): deliver then, or at once when that has passed. */
  deliverAt?: number;
  /** `ordering_key`: the order it keeps on FIFO endpoints; absent = the endpoint's one order without a key. */
  orderingKey?: string;
  /**
   * The Idempotency-Key, with what identifies the request: hashed to tell a true retry from a key
   * reused for another request.
   */
  idempotency?: RequestKey;
}

/** An idempotency key with the text that identifies the request it was sent with (hashed, never stored). */
export interface RequestKey {
  key: string;
  fingerprint: string;
}

/** A `POST …/messages/batch`: its messages in order, and the Idempotency-Key header that covers them all. */
export interface BatchRequest {
  tenantId: string;
  requests: EnqueueRequest[];
  idempotency?: RequestKey;
}

/**
 * When a message stored at `created` (epoch ms) is due: epoch ms, or null when it is due at once
 * (no delay asked, a delay of 0, or a `deliver_at` not after `created`). Its deliveries are
 * `scheduled` until then.
 */
export function dueAtOf(r: Pick<EnqueueRequest, "delaySeconds" | "deliverAt">, created: number): number | null {
  const due = r.delaySeconds !== undefined ? created + r.delaySeconds * 1000 : r.deliverAt;
  return due !== undefined && due > created ? due : null;
}

/**
 * Where the fields of a request's messages sit in its body, for the `issues[].path` of errors:
 * a single enqueue's fields at the top (`event`), a batch's under its item (`messages.3.event`).
 */
export interface RequestForm {
  /** Whether the body is one message (errors then speak of "the message"). */
  single: boolean;
  pathOf(index: number, field: string): string;
}

/** The form of `POST …/messages`. */
export const SINGLE: RequestForm = { single: true, pathOf: (_index, field) => field };
/** The form of `POST …/messages/batch` (and of operational events, which are enqueued as batches). */
export const BATCH: RequestForm = { single: false, pathOf: (index, field) => `messages.${index}.${field}` };

/**
 * The enqueue request of one message: its validated body, the payload's exact text, and its
 * idempotency key with what identifies the request (the body's other fields, then the payload's
 * text, which tells apart numbers that parse alike). The same message sent alone or in a batch
 * identifies alike, so a key replays across the two routes.
 */
export function enqueueRequestFrom(
  tenantId: string,
  body: z.output<typeof EnqueueBody>,
  payload: string,
  idempotencyKey: string | undefined,
): EnqueueRequest {
  return {
    tenantId,
    event: body.event,
    payload,
    value: body.payload,
    source: body.source ?? null,
    endpointIds: body.endpoint_ids,
    webhookUrl: body.webhook_url,
    delaySeconds: body.delay_seconds,
    deliverAt: body.deliver_at === undefined ? undefined : Date.parse(body.deliver_at),
    orderingKey: body.ordering_key,
    idempotency: idempotencyKey
      ? { key: idempotencyKey, fingerprint: `${JSON.stringify({ ...body, payload: undefined })}\n${payload}` }
      : undefined,
  };
}

/**
 * The enqueue request of an API call (`POST …/messages`), its `payload` exactly as the platform
 * sent it: its JSON text from the request body, first character to last (src/lib/json-text.ts), so
 * no number, escape or key order changes on the way to receivers and polling.
 *
 * @param requestText the request body, already accepted by JSON.parse and by EnqueueBody
 * @throws Error when the body has no `payload` member, which EnqueueBody has already refused
 */
export function enqueueRequestOf(
  tenantId: string,
  body: z.output<typeof EnqueueBody>,
  requestText: string,
  idempotencyKey: string | undefined,
): EnqueueRequest {
  const payload = memberText(requestText, "payload");
  if (payload === undefined) throw new Error("enqueueRequestOf: the request body has no payload member");
  return enqueueRequestFrom(tenantId, body, payload, idempotencyKey);
}

/**
 * The batch request of a `POST …/messages/batch`: one enqueue request per item in order, each
 * payload's exact text taken from the request's text as for a single enqueue, and the
 * Idempotency-Key header with what identifies the whole batch (every item's fields and payload
 * text; "batch" first, so no single enqueue identifies alike and a key never replays across the
 * two kinds of request).
 *
 * @param requestText the request body, already accepted by JSON.parse and by BatchEnqueueBody
 * @throws ApiError 400 `validation_failed` when an item's `idempotency_key` repeats the header's key
 */
export function batchRequestOf(
  tenantId: string,
  body: z.output<typeof BatchEnqueueBody>,
  requestText: string,
  idempotencyKey?: string,
): BatchRequest {
  const payloads = memberTextOfEach(requestText, "messages", "payload");
  const requests = body.messages.map(({ idempotency_key, ...item }, index) => {
    const payload = payloads[index];
    if (payload === undefined) throw new Error(`batchRequestOf: messages.${index} has no payload member`);
    return enqueueRequestFrom(tenantId, item, payload, idempotency_key);
  });
  if (!idempotencyKey) return { tenantId, requests };
  const clash = body.messages.findIndex((m) => m.idempotency_key === idempotencyKey);
  if (clash >= 0) {
    throw new ApiError(400, "validation_failed", "The request body is invalid", [
      { path: BATCH.pathOf(clash, "idempotency_key"), message: "repeats the Idempotency-Key header, which covers the whole batch" },
    ]);
  }
  const fields = body.messages.map((m) => ({ ...m, payload: undefined }));
  return { tenantId, requests, idempotency: { key: idempotencyKey, fingerprint: `batch\n${JSON.stringify(fields)}\n${JSON.stringify(payloads)}` } };
}
