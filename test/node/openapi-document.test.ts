import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { openApiDocument } from "../../scripts/openapi-document";
import { ROOT } from "./support/processes";

/** Where each Worker the generator started kept its state, and what that directory held then. */
const started: Array<{ persist: unknown; entries: string[] | null }> = [];

// The generator's Worker, replaced by one that records its options and serves a minimal document.
vi.mock("wrangler", () => ({
  unstable_startWorker: async (input: { dev?: { persist?: unknown } }) => {
    const persist = input.dev?.persist;
    started.push({ persist, entries: typeof persist === "string" && existsSync(persist) ? readdirSync(persist) : null });
    return {
      ready: Promise.resolve(),
      fetch: async () => Response.json({ openapi: "3.1.0", info: { title: "Edgehook", version: "0" }, paths: {} }),
      dispose: async () => {},
    };
  },
}));

describe("the OpenAPI document generator (npm run types:client, the lint test)", () => {
  it("runs the Worker on a fresh, empty state directory outside the repository, never on .wrangler/state", async () => {
    started.length = 0;
    await openApiDocument();
    const [{ persist, entries }] = started as [(typeof started)[0]];
    expect(typeof persist, "an explicit directory, not wrangler's default .wrangler/state").toBe("string");
    expect(path.relative(ROOT, persist as string).startsWith(".."), `${persist} lies outside the repository`).toBe(true);
    expect(entries).toEqual([]);
  });

  it("uses a new directory each time and removes it once the document is read", async () => {
    started.length = 0;
    await openApiDocument();
    await openApiDocument();
    const [first, second] = started.map((s) => s.persist as string);
    expect(first).not.toBe(second);
    expect(existsSync(first!)).toBe(false);
    expect(existsSync(second!)).toBe(false);
  });
});
