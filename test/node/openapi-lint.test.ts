import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { openApiDocument } from "../../scripts/openapi-document";
import { ROOT, run } from "./support/processes";

const REDOCLY = path.join(ROOT, "node_modules/@redocly/cli/bin/cli.js");

describe("the served OpenAPI document", () => {
  it("lints clean with @redocly/cli's recommended rules: no error and no warning", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "edgehook-openapi-")), "openapi.json");
    writeFileSync(file, JSON.stringify(await openApiDocument()));
    // Telemetry and the update check would reach the internet; tests never do.
    const lint = await run(REDOCLY, ["lint", file, "--extends", "recommended", "--format", "json"], {
      REDOCLY_TELEMETRY: "off",
      REDOCLY_SUPPRESS_UPDATE_NOTICE: "true",
    });
    const problems = (JSON.parse(lint.stdout) as { problems: Array<{ ruleId: string; message: string; location: Array<{ pointer: string }> }> }).problems;
    expect(problems.map((p) => `${p.ruleId} at ${p.location[0]?.pointer}: ${p.message}`)).toEqual([]);
    expect(lint.code).toBe(0);
  }, 120_000);
});
