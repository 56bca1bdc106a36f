import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { OpenAPI3 } from "openapi-typescript";
import { unstable_startWorker } from "wrangler";

const ROOT = path.resolve(import.meta.dirname, "..");

/**
 * The relay's OpenAPI document, as `GET /openapi.json` serves it: the Worker runs in workerd
 * through wrangler's startWorker, on an ephemeral loopback port, for as long as it takes to read
 * the document. Used by `npm run types:client` and the lint test (test/node/openapi-lint.test.ts).
 *
 * The Worker keeps its local state (D1, KV…) in a fresh temporary directory, removed afterwards,
 * never in the repository's `.wrangler/state`: what `npm run dev` left there (an event type a
 * developer tried) would otherwise become part of the generated CLI types and of what tests see.
 * Its D1 databases are empty and unmigrated, so the document has no catalogued event types, as for
 * a new deployment.
 */
export async function openApiDocument(): Promise<OpenAPI3> {
  // Keep miniflare from fetching the Request.cf object from the internet.
  process.env.CLOUDFLARE_CF_FETCH_ENABLED = "false";
  const state = mkdtempSync(path.join(tmpdir(), "edgehook-openapi-state-"));
  try {
    const worker = await unstable_startWorker({
      config: path.join(ROOT, "wrangler.toml"),
      // "error": the Worker's warning that an unmigrated database has no catalogue is expected here.
      dev: { server: { hostname: "127.0.0.1", port: 0 }, inspector: false, logLevel: "error", persist: state },
    });
    try {
      await worker.ready;
      const response = await worker.fetch("http://127.0.0.1/openapi.json");
      if (!response.ok) throw new Error(`GET /openapi.json answered ${response.status}`);
      return (await response.json()) as OpenAPI3;
    } finally {
      await worker.dispose();
    }
  } finally {
    rmSync(state, { recursive: true, force: true });
  }
}
