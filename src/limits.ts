/**
 * Every bound Edgehook puts on what callers send it, in one place. The zod schemas, the header
 * rules, the target guard and the body-size middleware read these constants; README
 * "Input limits" lists them. Only the payload size and the request rate are deployment settings
 * (MAX_PAYLOAD_BYTES in config.ts, the API_RATE_LIMITER binding in wrangler.toml): the others
 * shape the API contract, so they change with the code rather than per deployment.
 */

/** Default for MAX_PAYLOAD_BYTES: the largest serialised message payload accepted (413 above it). */
export const DEFAULT_PAYLOAD_BYTES = 256 * 1024;
/** Hard ceiling for MAX_PAYLOAD_BYTES: D1 rows and Queues messages stay far below their limits. */
export const PAYLOAD_BYTES_CEILING = 1024 * 1024;
/** Room for the enqueue envelope (event, source, targets) around the largest payload. */
export const ENVELOPE_BYTES = 16 * 1024;
/**
 * Deepest nesting of arrays and objects in a payload (`{}` is depth 1). Deeper documents are
 * refused before anything re-serialises them, so recursion can never exhaust the stack.
 */
export const MAX_JSON_DEPTH = 32;
/**
 * Deepest nesting of an event type's JSON Schema. A schema describing a payload of MAX_JSON_DEPTH
 * levels takes about two levels per payload level (`properties`, then the member), so this leaves
 * room; deeper schemas are refused before the validator, which recurses, sees them.
 */
export const MAX_SCHEMA_DEPTH = 128;
/**
 * Most schemas an event type's schema may apply to one value through `$ref` and in-place
 * applicators (`allOf`, `anyOf`, …): past it, creation is refused (400 `invalid_schema`), since
 * refs that fan out make validation work exponential in the schema's depth.
 */
export const MAX_SCHEMAS_PER_VALUE = 1000;
/**
 * Most steps one validation of a payload (or an example, or a schema against the meta-schema) may
 * take: a step is one schema applied to one value (~130 ns), and every other kind of work is
 * charged at its measured cost in such steps: a string's characters (src/lib/schema-validation.ts),
 * a pattern's (matchSteps, src/lib/linear-regex.ts), a format's (formatSteps, src/lib/formats.ts).
 * Past it, enqueue answers 422 `payload_too_complex`. Set so that a budget spent in full on the
 * costliest kind of step costs at most ~50 ms of CPU on the bench machine
 * (`validation.worst_ms_256kib` in BENCHMARKS.md), while a legitimate 256 KiB payload of
 * ~100,000 values under a few checks each stays well inside.
 */
export const VALIDATION_BUDGET_STEPS = 300_000;

/** Longest URL accepted for an endpoint or a one-off `webhook_url`. */
export const MAX_URL_LENGTH = 2048;
/** Longest event type or event pattern. */
export const MAX_EVENT_TYPE_LENGTH = 128;
/** Longest source name. */
export const MAX_SOURCE_LENGTH = 128;
/** Longest tenant id (ids are also restricted to letters, digits, '-' and '_'). */
export const MAX_TENANT_ID_LENGTH = 64;
/** Longest name of a tenant, endpoint or API key. */
export const MAX_NAME_LENGTH = 200;
/** Longest endpoint description. */
export const MAX_DESCRIPTION_LENGTH = 2000;
/** The header that makes an enqueue idempotent (HTTP header names are case-insensitive). */
export const IDEMPOTENCY_KEY_HEADER = "idempotency-key";
/** Longest Idempotency-Key header. */
export const MAX_IDEMPOTENCY_KEY_LENGTH = 255;
/** How long an Idempotency-Key holds: a repeat within this window returns the first response. */
export const IDEMPOTENCY_WINDOW_HOURS = 24;
export const IDEMPOTENCY_WINDOW_MS = IDEMPOTENCY_WINDOW_HOURS * 3600 * 1000;
/** The window as the API's docs and errors say it. */
export const IDEMPOTENCY_WINDOW_TEXT = `${IDEMPOTENCY_WINDOW_HOURS} h`;
/** Longest pagination cursor. */
export const MAX_CURSOR_LENGTH = 200;
/** Longest bearer token looked at; anything longer is a 401 without touching the database. */
export const MAX_BEARER_TOKEN_LENGTH = 512;

/** How far ahead (seconds) a message's `delay_seconds` or `deliver_at` may schedule it: 30 days (CONTRACT.md). */
export const MAX_SCHEDULE_SECONDS = 30 * 86_400;

/** Longest `ordering_key` a message may carry, in characters (CONTRACT.md, Delivery control). */
export const MAX_ORDERING_KEY_LENGTH = 128;

/** Most messages one `POST …/messages/batch` carries. */
export const MAX_BATCH_MESSAGES = 100;
/**
 * Largest body of `POST …/messages/batch` (413 above it), unless a single enqueue's limit
 * (MAX_PAYLOAD_BYTES + ENVELOPE_BYTES) is larger. 1 MiB carries 100 messages of ~10 KiB each; the
 * whole batch is parsed, compressed and written in one request, so this bounds the memory and the
 * size of the one D1 batch a request makes (each payload still obeys MAX_PAYLOAD_BYTES).
 */
export const MAX_BATCH_BODY_BYTES = 1024 * 1024;

/** Most event patterns one endpoint listens for. */
export const MAX_EVENT_PATTERNS = 100;
/** Most `endpoint_ids` one enqueue names. */
export const MAX_ENDPOINT_IDS = 100;
/** Largest page a list route returns, and the page size when none is asked for. */
export const MAX_PAGE_SIZE = 100;
export const DEFAULT_PAGE_SIZE = 50;
/**
 * Rows a filtered list may examine past its page size in one call (issue 25). A filter whose
 * matches are rare or transient (a delivery status other than failed or cancelled, an event type,
 * a source) has no index, since one would cost a D1 row written on every enqueue (D1 counts each
 * index entry written as a row written, https://developers.cloudflare.com/d1/platform/pricing/);
 * such a list walks the tenant's newest-first range and stops after `limit + SCAN_SLACK` rows, so
 * no call reads more than that however large the tenant grows (src/db/pagination.ts scannedPage).
 */
export const SCAN_SLACK = 100;

/** Most attempts a delivery may get (the first try included); a schedule has one step fewer. */
export const MAX_ATTEMPTS_LIMIT = 30;
/** Attempts (first try included) when an endpoint sets neither max_attempts nor a schedule. */
export const DEFAULT_MAX_ATTEMPTS = 10;
/** The default schedule's first wait, in seconds; each later one is 4 times longer (src/delivery/backoff.ts). */
export const DEFAULT_FIRST_RETRY_SECONDS = 5;
/** Longest retry schedule step: one day. Longer waits would outlive most receivers' patience. */
export const MAX_RETRY_STEP_SECONDS = 86_400;
/** Bounds of an endpoint's per-attempt timeout. */
export const MIN_TIMEOUT_MS = 500;
export const DEFAULT_TIMEOUT_MS = 10_000;
export const MAX_TIMEOUT_MS = 30_000;

/**
 * Per-endpoint delivery limits (`rate_limit`, `max_in_flight`). A limited endpoint's Durable
 * Object takes two calls per send (acquire, release) and one object handles about 1,000 requests/s
 * (developers.cloudflare.com/durable-objects/platform/limits/), so a rate above 500/s could not be
 * enforced; an endpoint that takes more needs no limit.
 */
export const MAX_RATE_PER_SECOND = 500;
export const MAX_RATE_BURST = 500;
/** Sends back to back a rate limit allows when it names no `burst`: 1, so sends are evenly spaced. */
export const DEFAULT_RATE_BURST = 1;
export const MAX_IN_FLIGHT = 100;
/** How long a rotated-out secret keeps co-signing: default one day, at most a week. */
export const DEFAULT_ROTATION_GRACE_SECONDS = 86_400;
export const MAX_ROTATION_GRACE_SECONDS = 604_800;
/**
 * Lifetime of a portal link into the dashboard, in seconds: by default long enough to click it from
 * an email, short enough to leak little; never shorter than a minute or longer than an hour.
 */
export const MIN_PORTAL_LINK_TTL_SECONDS = 60;
export const DEFAULT_PORTAL_LINK_TTL_SECONDS = 900;
export const MAX_PORTAL_LINK_TTL_SECONDS = 3600;
/** The header of the hmac-sha256 scheme when an endpoint names none. */
export const DEFAULT_HMAC_HEADER = "X-Webhook-Signature";
/** Longest name of an hmac-sha256 signature header, and of its value prefix. */
export const MAX_SIGNATURE_HEADER_LENGTH = 64;
export const MAX_SIGNATURE_PREFIX_LENGTH = 64;

/** Most custom headers per endpoint. */
export const MAX_CUSTOM_HEADERS = 20;
/** Longest custom header name. */
export const MAX_HEADER_NAME_LENGTH = 64;
/** Longest custom header value. */
export const MAX_HEADER_VALUE_LENGTH = 4096;
/** Most bytes all custom headers of an endpoint may take together (names, values, separators). */
export const MAX_HEADERS_TOTAL_BYTES = 8192;

/**
 * The window of the API_RATE_LIMITER binding (`simple.period` in wrangler.toml, 10 or 60): a
 * rate-limited caller is told to come back after at most this long.
 */
export const RATE_LIMIT_PERIOD_SECONDS = 60;

/** How long a DNS-over-HTTPS lookup may take before the target counts as unresolvable. */
export const DOH_TIMEOUT_MS = 3000;
/** Longest a DNS-over-HTTPS answer is reused in one isolate, whatever TTL it carried. */
export const DOH_CACHE_MAX_TTL_SECONDS = 60;

/**
 * Compressed payloads larger than this go to R2 (binding PAYLOADS) instead of the message row.
 * Break-even (SCALING.md "R2 vs D1"): an R2 object costs one Class A write ($4.50/M) plus a Class B
 * read per delivery attempt ($0.36/M), about $4.9e-6 a message; the same bytes in D1 cost
 * $0.75/GB-month, so over a 30-day retention D1 is cheaper below ~6.5 KB. 8 KiB leaves a margin for
 * the rows' own overhead and keeps almost every payload in the one D1 write of an enqueue.
 */
export const R2_PAYLOAD_THRESHOLD_BYTES = 8 * 1024;

/** Largest endpoint payload filter, as JSON text (bytes): enough for dozens of conditions. */
export const MAX_FILTER_BYTES = 4096;
/** Most path conditions in one filter: each costs at most one walk of the payload at fan-out. */
export const MAX_FILTER_CONDITIONS = 32;
/** Deepest nesting of `$and`, `$or` and `$not` in a filter. */
export const MAX_FILTER_DEPTH = 8;
/** Most segments in one dotted filter path (payloads nest at most MAX_JSON_DEPTH levels). */
export const MAX_FILTER_PATH_SEGMENTS = MAX_JSON_DEPTH;
/** Most values an `$in` or `$nin` list may hold. */
export const MAX_FILTER_LIST_VALUES = 100;
