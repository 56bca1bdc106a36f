import path from "node:path";
import type { OpenAPI3 } from "openapi-typescript";
import { unstable_startWorker } from "wrangler";

const ROOT = path.resolve(import.meta.dirname, "..");

/**
 * The relay's OpenAPI document, as `GET /openapi.json` serves it: the Worker runs in workerd
 * through wrangler's startWorker, on an ephemeral loopback port, for as long as it takes to read
 * the document. Used by `npm run types:cli` and the lint test (test/node/openapi-lint.test.ts).
 */
export async function openApiDocument(): Promise<OpenAPI3> {
  // Keep miniflare from fetching the Request.cf object from the internet.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  const worker = await unstable_startWorker({
    config: path.join(ROOT, "wrangler.toml"),
    dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, logLevel: "warn" },
  });
  try {
    await worker.ready;
    const response = await worker.fetch("http://127.0.0.1/openapi.json");
    if (!response.ok) throw new Error(`GET /openapi.json answered ${response.status}`);
    return (await response.json()) as OpenAPI3;
  } finally {
    await worker.dispose();
  }
}

