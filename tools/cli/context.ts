import type { Command } from "commander";
import { ApiClient, type Schema } from "./client.ts";
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
  /**
   * `/v1/tenants/{tenant}`: the tenant given, else the one a tenant API key belongs to (asked of
   * `GET /v1/me` once); a usage error when neither names one (the admin token without --tenant).
   */
  tenantPath: () => Promise<string>;
  /** Prints `value` as JSON with --json, else the text `render` makes of it. */
  show: <T>(value: T, render: (value: T) => string) => void;
}

/** The context of the command being run, from its own and its parents' options. */
export function contextOf(command: Command): CommandContext {
  const options = command.optsWithGlobals<GlobalOptions>();
  if (!options.token) throw new UsageError("No API token: pass --token or set EDGEHOOK_TOKEN (the admin token, or a tenant API key)");
  const client = new ApiClient(options.url, options.token);
  let tenant: Promise<string> | undefined;
  return {
    client,
    json: options.json,
    tenantPath: () => {
      tenant ??= tenantOf(client, options.tenant).then((id) => `/v1/tenants/${encodeURIComponent(id)}`);
      return tenant;
    },
    show: (value, render) => (options.json ? outJson(value) : out(render(value))),
  };
}

/** The tenant given on the command line, else the one the token is a key of. */
async function tenantOf(client: ApiClient, given: string | undefined): Promise<string> {
  if (given) return given;
  const me = await client.get<Schema<"Me">>("/v1/me");
  if (me.role === "tenant" && me.tenant_id) return me.tenant_id;
  throw new UsageError("No tenant: pass --tenant or set EDGEHOOK_TENANT (a tenant API key names its own tenant; the admin token does not)");
}

/** Path segment for an id from the command line. */
export function segment(id: string): string {
  return encodeURIComponent(id);
}
