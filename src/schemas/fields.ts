import { z } from "@hono/zod-openapi";
import { MAX_EVENT_TYPE_LENGTH, MAX_SOURCE_LENGTH, MAX_URL_LENGTH } from "../limits";

/** A UTF-16 surrogate without its partner: with the `u` flag a proper pair is one code point, not Cs. */
const LONE_SURROGATE = /\p{Cs}/u;

/**
 * User-given text that is stored. JSON can carry a lone UTF-16 surrogate (`"\ud800"`) but D1
 * stores UTF-8, which cannot, and would silently turn it into U+FFFD; such text is refused
 * instead (400 naming the field). Every stored free-text field builds on this.
 */
export const StoredText = z.string().refine((text) => !LONE_SURROGATE.test(text), {
  message: "must not contain a lone UTF-16 surrogate (\\ud800–\\udfff without its pair): it cannot be stored as UTF-8",
});

/** An event type such as `document.predicted`. */
export const EventType = z
  .string()
  .max(MAX_EVENT_TYPE_LENGTH)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:-]*$/, "must start with a letter or digit and use only letters, digits, '.', '_', ':' or '-'")
  .openapi({ example: "document.predicted" });

/** An event pattern an endpoint listens for: an event type, optionally ending in `*` (`document.*`, `*`). */
export const EventPattern = z
  .string()
  .max(MAX_EVENT_TYPE_LENGTH)
  .regex(/^(\*|[A-Za-z0-9][A-Za-z0-9._:-]*\*?)$/, "must be an event type, optionally ending in '*'")
  .openapi({ example: "document.*" });

/** The model / product / project a message comes from. */
export const SourceName = z
  .string()
  .max(MAX_SOURCE_LENGTH)
  .regex(/^[A-Za-z0-9][A-Za-z0-9._:/-]*$/, "must start with a letter or digit and use only letters, digits, '.', '_', ':', '/' or '-'")
  .openapi({ example: "invoices-v4" });

/**
 * For a URL typed without its scheme (`example.com/hook`, `localhost:9000/hook`, which URL would
 * read as the scheme `localhost:`), the message that says how to fix it; null otherwise.
 */
function schemeHint(url: string): string | null {
  const looksLikeHost = /^[^:/?#]+(:\d|\/|$)/.test(url); // `mailto:x` names a scheme; `host:9000` a port
  if (!looksLikeHost || !URL.canParse(`https://${url}`)) return null;
  return `must start with its scheme: "https://${url}" (or "http://${url}" for a local receiver)`;
}

/**
 * A webhook target URL as text. Only its form is checked here; whether Edgehook may call it
 * depends on deployment settings and is decided by the target guard when it is written and sent.
 */
export const TargetUrl = StoredText.max(MAX_URL_LENGTH)
  .superRefine((v, ctx) => {
    const hint = schemeHint(v);
    if (hint) ctx.addIssue({ code: "custom", message: hint });
    else if (!URL.canParse(v)) ctx.addIssue({ code: "custom", message: "must be an absolute URL" });
  })
  .openapi({ example: "https://example.com/webhooks" });
