import type { Command } from "commander";
import { ApiClient } from "./client.ts";
import { out, outJson } from "./output.ts";

/** Options every command accepts (flags or environment). */
export interface GlobalOptions {
  url: string;
  token?: string;
  tenant?: string;
  json: boolean;
}

/** The command line is incomplete or contradictory; exits with the usage code. */
export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "UsageError";
  }
}

/** What a command needs: the API client, the output mode and the tenant it acts in. */
export interface CommandContext {
  client: ApiClient;
  json: boolean;
  /** `/v1/tenants/{tenant}`; a usage error when no tenant was given. */
  tenantPath: () => string;
  /** Prints `value` as JSON with --json, else the text `render` makes of it. */
  show: <T>(value: T, render: (value: T) => string) => void;
}

/** The context of the command being run, from its own and its parents' options. */
export function contextOf(command: Command): CommandContext {
  const options = command.optsWithGlobals<GlobalOptions>();
  if (!options.token) throw new UsageError("No API token: pass --token or set EDGEHOOK_TOKEN (the admin token, or a tenant API key)");
  const client = new ApiClient(options.url, options.token);
  return {
    client,
    json: options.json,
    tenantPath: () => {
      if (!options.tenant) throw new UsageError("No tenant: pass --tenant or set EDGEHOOK_TENANT");
      return `/v1/tenants/${encodeURIComponent(options.tenant)}`;
    },
    show: (value, render) => (options.json ? outJson(value) : out(render(value))),
  };
}

/** Path segment for an id from the command line. */
export function segment(id: string): string {
  return encodeURIComponent(id);
}
