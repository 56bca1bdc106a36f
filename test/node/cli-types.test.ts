import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { CLI_TYPES_PATH, cliTypes } from "../../scripts/cli-types.ts";

it("tools/cli/api-types.ts matches the relay's /openapi.json (run `npm run types:cli` after changing a schema)", async () => {
  expect(await cliTypes()).toBe(readFileSync(CLI_TYPES_PATH, "utf8"));
});
