import type { Context } from "hono";

/**
 * The API reference page at `/docs`: Scalar's standalone script, pinned to one version and checked
 * with Subresource Integrity, renders `/openapi.json`. The page's CSP lets in that one script and
 * nothing else (no inline script, requests only to this origin), since the page shares its origin
 * with the dashboard's session cookie. Until the script runs, or when it cannot load (offline, a
 * blocked CDN, a changed file), the page shows a plain link to the OpenAPI document instead.
 */

/** The Scalar release the page loads: to upgrade, change both lines (the hash is sha384 of the file). */
export const SCALAR_VERSION = "1.76.0";
export const SCALAR_INTEGRITY = "sha384-oH1C0RwqcwbVXkC+r8A+4qRoyEUQdtxAzOwumkxZtQBBcsy61FOoPt7B50OVJYYQ";
/** The same bytes as `dist/browser/standalone.js` of the npm package @scalar/api-reference at SCALAR_VERSION. */
export const SCALAR_SCRIPT_URL = `https://cdn.jsdelivr.net/npm/@scalar/api-reference@${SCALAR_VERSION}/dist/browser/standalone.js`;

/** What the reference page may load: the pinned script, its fonts and styles, and this origin's document. */
export const DOCS_CSP = [
  "default-src 'none'",
  `script-src ${SCALAR_SCRIPT_URL}`,
  // Scalar (Vue) sets style attributes and injects its stylesheet at run time.
  "style-src 'unsafe-inline'",
  "font-src https://fonts.scalar.com",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join("; ");

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Edgehook API reference</title>
<style>
  #fallback { font: 16px/1.5 system-ui, sans-serif; max-width: 40rem; margin: 3rem auto; padding: 0 1rem; }
  /* Scalar marks the body with its colour mode once it runs: the fallback then steps aside. */
  body.light-mode #fallback, body.dark-mode #fallback { display: none; }
</style>
</head>
<body>
<main id="fallback">
  <h1>Edgehook API reference</h1>
  <p>The interactive reference is loading. If this text stays, its script (Scalar ${SCALAR_VERSION}, from cdn.jsdelivr.net)
  could not load, for example without an internet connection.</p>
  <p>The full API is described by the OpenAPI 3.1 document: <a href="/openapi.json">/openapi.json</a>.</p>
</main>
<script id="api-reference" data-url="/openapi.json"></script>
<script src="${SCALAR_SCRIPT_URL}" integrity="${SCALAR_INTEGRITY}" crossorigin="anonymous"></script>
</body>
</html>
`;

/** `GET /docs`: the reference page with its CSP. */
export function docsPage(c: Context): Response {
  return c.html(PAGE, 200, {
    "content-security-policy": DOCS_CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
  });
}
