#!/usr/bin/env node
import { Command, CommanderError, Option } from "commander";
import { registerApiKeys } from "./commands/api-keys.ts";
import { registerDeliveries } from "./commands/deliveries.ts";
import { registerEndpoints } from "./commands/endpoints.ts";
import { registerEventTypes } from "./commands/event-types.ts";
import { registerMessages } from "./commands/messages.ts";
import { registerTail } from "./commands/tail.ts";
import { registerTenants } from "./commands/tenants.ts";
import { describeError, ExitCode, exitCodeFor } from "./exit-codes.ts";
import { packageVersion } from "./version.ts";

const program = new Command("edgehook")
  .description("Operate an Edgehook relay over its HTTP API. Human-readable tables by default, --json for scripts.")
  .version(packageVersion(), "-V, --version", "print the CLI's version")
  .addOption(new Option("--url <url>", "relay base URL").env("EDGEHOOK_URL").default("http://localhost:8787"))
  .addOption(new Option("--token <token>", "admin token or tenant API key").env("EDGEHOOK_TOKEN"))
  .addOption(new Option("-t, --tenant <tenant_id>", "tenant to act in (default: the tenant of a tenant API key)").env("EDGEHOOK_TENANT"))
  .option("--json", "print the API's JSON (one object per line for tail)", false)
  .showHelpAfterError()
  .exitOverride()
  .addHelpText(
    "after",
    `
Exit codes: 0 ok · 1 unexpected failure · 2 usage error · 3 relay unreachable · 4 credentials refused (401/403)
            5 not found (404) · 6 request rejected (400/409/413/422) · 7 relay error (5xx/429)`,
  );

registerTenants(program);
registerApiKeys(program);
registerEndpoints(program);
registerEventTypes(program);
registerMessages(program);
registerDeliveries(program);
registerTail(program);

try {
  await program.parseAsync();
} catch (error) {
  if (error instanceof CommanderError) {
    // Commander has already printed its message (or the help).
    process.exitCode = error.exitCode === 0 ? ExitCode.ok : ExitCode.usage;
  } else {
    console.error(describeError(error, program.opts<{ json: boolean }>().json));
    process.exitCode = exitCodeFor(error);
  }
}
