import { z } from "@hono/zod-openapi";
import {
  DEFAULT_ROTATION_GRACE_SECONDS,
  MAX_ATTEMPTS_LIMIT,
  MAX_DESCRIPTION_LENGTH,
  MAX_EVENT_PATTERNS,
  MAX_NAME_LENGTH,
  MAX_RETRY_STEP_SECONDS,
  MAX_ROTATION_GRACE_SECONDS,
  MAX_SIGNATURE_HEADER_LENGTH,
  MAX_SIGNATURE_PREFIX_LENGTH,
  MAX_SOURCE_LENGTH,
  MAX_TIMEOUT_MS,
  MAX_IN_FLIGHT,
  MAX_RATE_BURST,
  MAX_RATE_PER_SECOND,
  MIN_TIMEOUT_MS,
} from "../limits";
import { filterProblems, type PayloadFilter } from "../filters/payload-filter";
import { headerProblem, headerSetProblem, signatureHeaderProblem } from "../security/headers";
import { isWellFormedEd25519Secret, isWellFormedHmacSecret, keyKindOf, keyKindOfScheme } from "../security/signing-keys";
import { EventPattern, SourceName, StoredText, TargetUrl } from "./fields";
import { Timestamp } from "./common";

const SIGNATURE_DESCRIPTION =
  "How deliveries are signed. `standard`: Standard Webhooks `webhook-signature`, one `v1,…` per valid secret during a rotation. " +
  "`hmac-sha256`: `header` (default `X-Webhook-Signature`) = `prefix` + hex HMAC-SHA256 of the body, always exactly one signature, " +
  "made with the current secret; during a rotation's grace period the older secrets' signatures travel in `webhook-previous-signatures` " +
  "(same form, joined with `, `). `ed25519` (Standard Webhooks `v1a`): `webhook-signature` holds one `v1a,<base64 Ed25519 signature>` " +
  "per valid key; the relay keeps the private key (`whsk_…`) and receivers verify with the endpoint's `public_key` (`whpk_…`).";

const SignatureInput = z
  .object({
    scheme: z.enum(["standard", "hmac-sha256", "ed25519"]).default("standard"),
    header: z
      .string()
      .regex(new RegExp(`^[A-Za-z0-9-]{1,${MAX_SIGNATURE_HEADER_LENGTH}}$`), `must be 1–${MAX_SIGNATURE_HEADER_LENGTH} letters, digits or '-'`)
      .superRefine((name, ctx) => {
        const problem = signatureHeaderProblem(name);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .optional(),
    prefix: z.string().max(MAX_SIGNATURE_PREFIX_LENGTH).regex(/^[\x21-\x7e]*$/, "must be printable ASCII without spaces").optional(),
  })
  .strict()
  .refine((s) => s.scheme === "hmac-sha256" || (s.header === undefined && s.prefix === undefined), {
    message: "header and prefix apply to the hmac-sha256 scheme only",
  })
  .openapi({ description: SIGNATURE_DESCRIPTION });

const RetryInput = z
  .object({
    max_attempts: z.number().int().min(1).max(MAX_ATTEMPTS_LIMIT).optional(),
    schedule: z.array(z.number().int().min(0).max(MAX_RETRY_STEP_SECONDS)).min(1).max(MAX_ATTEMPTS_LIMIT - 1).optional(),
  })
  .strict();

const HeadersInput = z
  .record(z.string(), z.string())
  .superRefine((headers, ctx) => {
    const names = Object.keys(headers);
    const setProblem = headerSetProblem(headers);
    if (setProblem) ctx.addIssue({ code: "custom", message: setProblem });
    const seen = new Set<string>();
    for (const name of names) {
      const problem = headerProblem(name, headers[name]!);
      if (problem) ctx.addIssue({ code: "custom", path: [name], message: problem });
      if (seen.has(name.toLowerCase())) ctx.addIssue({ code: "custom", path: [name], message: "duplicate header name" });
      seen.add(name.toLowerCase());
    }
  });

const isWellFormedKey = (value: string) => isWellFormedHmacSecret(value) || isWellFormedEd25519Secret(value);

const SecretInput = z
  .string()
  .superRefine((value, ctx) => {
    if (isWellFormedKey(value)) return;
    const message = value.startsWith("whpk_")
      ? "is a public key: the relay signs with the private whsk_ key (leave secret out to have one generated)"
      : "must be whsec_ followed by the base64 of 24–64 bytes, or whsk_ followed by the base64 of a 32-byte Ed25519 seed (or of the 64-byte seed and public key)";
    ctx.addIssue({ code: "custom", message });
  })
  .openapi({
    description:
      "The signing key. `whsec_…` (24–64 random bytes, base64) for the `standard` and `hmac-sha256` schemes; `whsk_…` (an Ed25519 private key: " +
      "the base64 of its 32-byte seed, or of the 64 bytes of seed and public key that libsodium and Svix use) for `ed25519`. Never shown again " +
      "for `ed25519`: responses show its public key.",
  });

/** Issue when a supplied key is of the wrong kind for the scheme it comes with. */
function keyFitsScheme(body: { secret?: string; signature?: { scheme: "standard" | "hmac-sha256" | "ed25519" } }, ctx: z.RefinementCtx): void {
  if (body.secret === undefined || !body.signature || !isWellFormedKey(body.secret)) return;
  const kind = keyKindOfScheme(body.signature.scheme);
  if (keyKindOf(body.secret) === kind) return;
  ctx.addIssue({
    code: "custom",
    path: ["secret"],
    message: kind === "ed25519" ? "must be a whsk_ key: the ed25519 scheme signs with an Ed25519 private key" : "must be a whsec_ secret: this scheme signs with HMAC",
  });
}

/** An endpoint's rate limit as a request sets it. */
const RateLimitInput = z
  .object({
    per_second: z.number().int().min(1).max(MAX_RATE_PER_SECOND),
    burst: z.number().int().min(1).max(MAX_RATE_BURST).optional(),
  })
  .strict()
  .openapi({
    description:
      `At most \`per_second\` deliveries per second to this endpoint, across all consumers (1–${MAX_RATE_PER_SECOND}); \`burst\` of ` +
      "them may go back to back (default 1: evenly spaced). Deliveries over the limit wait their turn: they are not failed " +
      "attempts and keep their order as far as practical. null = no limit.",
  });

const FILTER_EXAMPLE = { "customer.plan": { $in: ["pro", "enterprise"] }, amount: { $gte: 100 }, $not: { "customer.email": { $endsWith: "@example.com" } } };

const FILTER_DESCRIPTION =
  "Which payloads this endpoint receives when a message fans out (null: every payload). Keys are dotted paths into the payload " +
  "(`customer.email`; a path through an array matches if any element does) mapping to a value (equality) or an operator object " +
  "(`$eq $ne $gt $gte $lt $lte $in $nin $exists $startsWith $endsWith $contains`); top-level `$and` / `$or` (arrays) and `$not` " +
  "(an object) combine them. Comparisons never convert types: `\"1000\"` is not ≥ 100. A filter combines with `events` and `source`: " +
  "all must match, or the endpoint gets no delivery of the message. Messages sent to explicit `endpoint_ids` skip filters, as they skip " +
  "`events` and `source`. An unknown operator or a wrong operand is a 400 whose issue names its path under `filter`.";

/**
 * An endpoint's payload filter: checked by src/filters/payload-filter.ts, each problem named by its
 * path under `filter`. Taken as parsed, not through z.record, which copies an object key by key and
 * so drops a `__proto__` path (leaving a filter that passes every payload).
 */
const FilterInput = z
  .unknown()
  .superRefine((filter, ctx) => {
    for (const issue of filterProblems(filter)) ctx.addIssue({ code: "custom", path: issue.path.split(".").slice(1), message: issue.message });
  })
  .transform((filter) => filter as PayloadFilter)
  .openapi({ type: ["object", "null"], additionalProperties: {}, description: FILTER_DESCRIPTION, example: FILTER_EXAMPLE });

const ORDERING_DESCRIPTION =
  "`none` (default): deliveries go as soon as they can, several at once. `fifo`: this endpoint's deliveries go one at a time in " +
  "enqueue order, the order in which the relay stored their messages (a batch's in item order). While one is retrying, later ones " +
  "wait, with no attempt counted, until it succeeds, fails for good (its attempts are spent) or is cancelled. A message's " +
  "`ordering_key` orders only within that key (messages without one share one order), so one key's failing delivery never holds " +
  "another's. Delivery stays at-least-once: a receiver may see a delivery again (a lost answer, a replay), never a later one before an " +
  "earlier one has its final outcome. A replay goes outside the order. Changing `ordering` applies to messages enqueued afterwards.";

const endpointFields = {
  url: TargetUrl,
  name: StoredText.trim().min(1).max(MAX_NAME_LENGTH).nullable(),
  description: StoredText.max(MAX_DESCRIPTION_LENGTH).nullable(),
  events: z.array(EventPattern).max(MAX_EVENT_PATTERNS),
  source: SourceName.nullable(),
  headers: HeadersInput,
  enabled: z.boolean(),
  signature: SignatureInput,
  retry: RetryInput,
  timeout_ms: z.number().int().min(MIN_TIMEOUT_MS).max(MAX_TIMEOUT_MS),
  rate_limit: RateLimitInput.nullable(),
  max_in_flight: z
    .number()
    .int()
    .min(1)
    .max(MAX_IN_FLIGHT)
    .nullable()
    .openapi({ description: `At most this many requests to this endpoint at once, across all consumers (1–${MAX_IN_FLIGHT}); null = no cap` }),
  filter: FilterInput.nullable(),
  ordering: z.enum(["none", "fifo"]).openapi({ description: ORDERING_DESCRIPTION }),
};

/** Body of `POST …/endpoints`: `url` is required, everything else has a default. */
export const CreateEndpointBody = z
  .object(endpointFields)
  .partial()
  .required({ url: true })
  .extend({ secret: SecretInput.optional() })
  .strict()
  .superRefine((body, ctx) => keyFitsScheme({ ...body, signature: body.signature ?? { scheme: "standard" } }, ctx))
  .openapi("CreateEndpoint");

/**
 * Body of `PATCH …/endpoints/{id}`: any subset of the fields; `null` clears an optional one.
 * `secret` only with a change of scheme between the HMAC schemes and `ed25519`, which needs a key
 * of the other kind (generated when absent).
 */
export const UpdateEndpointBody = z
  .object(endpointFields)
  .partial()
  .extend({
    secret: SecretInput.optional().openapi({
      description:
        "Only with a `signature` whose scheme changes between the HMAC schemes and `ed25519`: the new key, of the new scheme's kind " +
        "(a fresh one when absent). The old key co-signs for a day, as after a rotation.",
    }),
  })
  .strict()
  .superRefine(keyFitsScheme)
  .openapi("UpdateEndpoint");

/** How deliveries to an endpoint are signed. */
export const SignatureSchema = z
  .object({
    scheme: z.enum(["standard", "hmac-sha256", "ed25519"]),
    header: z.string().optional(),
    prefix: z.string().optional(),
  })
  .openapi("SignatureConfig", { description: SIGNATURE_DESCRIPTION });

/** An endpoint's retry policy, as configured (an empty object means the default schedule). */
export const RetrySchema = z
  .object({ max_attempts: z.number().int().optional(), schedule: z.array(z.number().int()).optional() })
  .openapi("RetryConfig");

/** An endpoint as the API returns it. */
export const EndpointSchema = z
  .object({
    id: z.string(),
    tenant_id: z.string(),
    url: z.string(),
    name: z.string().nullable(),
    description: z.string().nullable(),
    events: z.array(z.string()),
    source: z.string().nullable(),
    headers: z.record(z.string(), z.string()),
    enabled: z.boolean(),
    disabled_reason: z.string().nullable(),
    failing_since: Timestamp.nullable().openapi({
      description:
        "When the current unbroken run of failed attempts to this endpoint began (RFC 3339), or null while the endpoint is healthy. " +
        "A successful attempt, or re-enabling the endpoint, clears it; a run that lasts long enough disables the endpoint. Read-only.",
    }),
    signature: SignatureSchema,
    retry: RetrySchema,
    timeout_ms: z.number().int(),
    rate_limit: z.object({ per_second: z.number().int(), burst: z.number().int() }).nullable(),
    max_in_flight: z.number().int().nullable(),
    filter: z.record(z.string(), z.unknown()).nullable().openapi({ description: FILTER_DESCRIPTION, example: FILTER_EXAMPLE }),
    ordering: z.enum(["none", "fifo"]).openapi({ description: ORDERING_DESCRIPTION }),
    delivery_lane: z.enum(["main", "slow"]).openapi({
      description:
        "The queue this endpoint's deliveries travel through. `slow` while the endpoint is new or has a new URL (until its receiver first answers within 2 s) and after a request to it took 2 s or more or timed out; `main` once it answers within 2 s. Read-only.",
    }),
    public_key: z.string().optional().openapi({
      description: "ed25519 endpoints only: `whpk_` + base64 of the 32 raw bytes of the current key's Ed25519 public key, which receivers verify with",
      example: "whpk_9eWqeTbDbsQrm0ccL3pXSn0+Cl3J6T0KWTAmP0cXFWs=",
    }),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .openapi("Endpoint");

const SECRET_FIELD_DESCRIPTION =
  "What receivers verify with: the `whsec_` secret of the HMAC schemes; for `ed25519`, the public key (the same as `public_key`): " +
  "the private key never leaves the relay, so no API key or dashboard session can forge a delivery";

/** The creation response: the endpoint plus its signing secret, shown in this response only. */
export const CreatedEndpointSchema = EndpointSchema.extend({ secret: z.string().openapi({ description: SECRET_FIELD_DESCRIPTION }) }).openapi(
  "CreatedEndpoint",
);

/** `GET …/secret` and rotation responses. */
export const SecretResponse = z
  .object({
    secret: z.string().openapi({ example: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", description: SECRET_FIELD_DESCRIPTION }),
    public_key: z.string().optional().openapi({
      description: "ed25519 only: `whpk_` + base64 of the current key's 32-byte Ed25519 public key",
      example: "whpk_9eWqeTbDbsQrm0ccL3pXSn0+Cl3J6T0KWTAmP0cXFWs=",
    }),
    previous: z
      .array(
        z.object({
          expires_at: Timestamp,
          public_key: z.string().optional().openapi({ description: "For an earlier Ed25519 key: its public key, still valid until `expires_at`" }),
        }),
      )
      .openapi({ description: "Earlier keys that still co-sign until they expire (secret values not shown)" }),
  })
  .openapi("EndpointSecret");

/** Body of `POST …/secret/rotate`. */
export const RotateSecretBody = z
  .object({
    grace_period_seconds: z.number().int().min(0).max(MAX_ROTATION_GRACE_SECONDS).default(DEFAULT_ROTATION_GRACE_SECONDS),
    secret: SecretInput.optional(),
  })
  .strict()
  .openapi("RotateSecret");

/** Query of `GET …/endpoints`. */
export const ListEndpointsQuery = z.object({
  source: z.string().max(MAX_SOURCE_LENGTH).optional().openapi({ param: { name: "source", in: "query" } }),
  enabled: z.enum(["true", "false"]).optional().openapi({ param: { name: "enabled", in: "query" } }),
});

export type Endpoint = z.infer<typeof EndpointSchema>;
export type CreateEndpointInput = z.infer<typeof CreateEndpointBody>;
export type UpdateEndpointInput = z.infer<typeof UpdateEndpointBody>;
