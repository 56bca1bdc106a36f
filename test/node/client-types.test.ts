import { readFileSync } from "node:fs";
import { expect, it } from "vitest";
import { CLIENT_TYPES_PATH, clientTypes } from "../../scripts/client-types.ts";

it("packages/client/src/api-types.ts matches the relay's /openapi.json (run `npm run types:client` after changing a schema)", async () => {
  expect(await clientTypes()).toBe(readFileSync(CLIENT_TYPES_PATH, "utf8"));
});
