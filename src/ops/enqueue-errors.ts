import { ApiError, type ErrorIssue } from "../errors";
import { MAX_TARGETS_PER_MESSAGE } from "../lib/ids";
import { IDEMPOTENCY_WINDOW_TEXT } from "../limits";
import type { EnqueueRequest, RequestForm } from "./enqueue-request";

/**
 * The errors of the enqueue pipeline, worded for the route's form (src/ops/enqueue-request.ts):
 * the same codes and statuses on both routes, paths that name the request's own fields.
 */

/**
 * The 413 for payloads over MAX_PAYLOAD_BYTES (`limitBytes`).
 * @param problems what is wrong with each payload that is too large, by its message's index
 */
export function payloadsTooLarge(form: RequestForm, problems: Array<{ index: number; problem: string }>, limitBytes: number): ApiError {
  if (form.single) return new ApiError(413, "payload_too_large", problems[0]!.problem);
  const issues = problems.map(({ index, problem }) => ({ path: form.pathOf(index, "payload"), message: problem }));
  return new ApiError(413, "payload_too_large", `${issues.length} payload(s) exceed ${limitBytes} bytes`, issues);
}

/** The 400 for messages (by index) whose `deliver_at` is more than MAX_SCHEDULE_SECONDS (30 days) ahead. */
export function scheduledTooFar(form: RequestForm, indexes: number[]): ApiError {
  return new ApiError(
    400,
    "validation_failed",
    "The request body is invalid",
    indexes.map((index) => ({ path: form.pathOf(index, "deliver_at"), message: "must be at most 30 days ahead" })),
  );
}

/** The 404 naming every explicit target of `requests` that is not among the tenant's endpoints (`found`). */
export function unknownTargets(form: RequestForm, requests: EnqueueRequest[], found: Set<string>): ApiError {
  const issues: ErrorIssue[] = [];
  const missing = new Set<string>();
  const messages = new Set<number>();
  requests.forEach((r, index) =>
    (r.endpointIds ?? []).forEach((id, n) => {
      if (found.has(id)) return;
      missing.add(id);
      messages.add(index);
      issues.push({ path: form.pathOf(index, `endpoint_ids.${n}`), message: form.single ? "not found" : `No endpoint ${id} in this tenant` });
    }),
  );
  const message = form.single
    ? `No endpoint with id ${[...missing].join(", ")} in this tenant`
    : `${messages.size} message(s) name an endpoint this tenant does not have`;
  return new ApiError(404, "endpoint_not_found", message, issues);
}

/** The 422 for a message that would reach more than MAX_TARGETS_PER_MESSAGE endpoints. */
export function tooManyTargets(form: RequestForm): ApiError {
  return new ApiError(422, "too_many_targets",
    `${form.single ? "This message" : "A message of this batch"} matches more than ${MAX_TARGETS_PER_MESSAGE.toLocaleString("en-US")} endpoints, ` +
      "the most one message reaches; narrow the endpoints' events or sources, or name endpoint_ids");
}

/**
 * The 422 for idempotency keys used within the window with another request: the request's own
 * Idempotency-Key header (`indices` empty), or the `idempotency_key` of batch items `indices`.
 */
export function keysReused(form: RequestForm, indices: number[]): ApiError {
  if (indices.length === 0 || form.single) {
    return new ApiError(422, "idempotency_key_reused", `This Idempotency-Key was used with a different request in the last ${IDEMPOTENCY_WINDOW_TEXT}`);
  }
  return new ApiError(422, "idempotency_key_reused", `These idempotency keys were used with a different request in the last ${IDEMPOTENCY_WINDOW_TEXT}`,
    indices.map((index) => ({ path: form.pathOf(index, "idempotency_key"), message: "used with a different request" })));
}

/** The 409 while the requests that set the keys are still being stored (or their keys were just deleted). */
export function keysInProgress(form: RequestForm): ApiError {
  return new ApiError(409, "idempotency_conflict",
    form.single ? "A request with this Idempotency-Key is in progress; retry" : "Requests with these idempotency keys are in progress; retry");
}

/** The 409 for a live key whose messages were deleted meanwhile (the tenant's, by retention or deletion). */
export function keyMessageGone(): ApiError {
  return new ApiError(409, "idempotency_conflict", "The message this Idempotency-Key created has expired");
}

/** The 503 once every attempt at free message row keys clashed: nothing is stored, and the same request may be sent again. */
export function keysBusy(): ApiError {
  return new ApiError(503, "temporarily_unavailable", "Too many messages of this tenant are being stored at once; retry after the Retry-After delay", undefined, {
    "retry-after": "1",
  });
}
