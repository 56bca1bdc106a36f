import { InvalidArgumentError, Option, type Command } from "commander";
import { DEFAULT_FIRST_RETRY_SECONDS, DEFAULT_HMAC_HEADER, DEFAULT_MAX_ATTEMPTS, DEFAULT_RATE_BURST, MAX_ATTEMPTS_LIMIT, MAX_IN_FLIGHT, MAX_RATE_BURST, MAX_RATE_PER_SECOND, MAX_TIMEOUT_MS, MIN_TIMEOUT_MS } from "../../../src/limits.ts";
import { collect, integerIn, parseSince } from "../../lib/parse.ts";
import { contextOf, segment, UsageError, type CommandContext } from "../context.ts";
import { details, table, time } from "../output.ts";
import type { Schema } from "../client.ts";

type Endpoint = Schema<"Endpoint">;
import { hintNextPage, pagingQuery, withPaging, type PagingOptions } from "./paging.ts";
import { deliveryRefsTable } from "./messages.ts";
import { addSecretCommands } from "./secret.ts";
import { addIdCommand, addShowCommand } from "./id-command.ts";
import { statsText } from "./endpoint-stats.ts";

interface EndpointFlags {
  url?: string;
  name?: string;
  description?: string;
  event?: string[];
  allEvents?: boolean;
  source?: string;
  anySource?: boolean;
  header?: string[];
  clearHeaders?: boolean;
  scheme?: "standard" | "hmac-sha256" | "ed25519";
  signatureHeader?: string;
  signaturePrefix?: string;
  maxAttempts?: number;
  schedule?: number[];
  timeoutMs?: number;
  rateLimit?: number;
  burst?: number;
  maxInFlight?: number;
  clearLimits?: boolean;
  filter?: Record<string, unknown>;
  clearFilter?: boolean;
  secret?: string;
  disabled?: boolean;
  enable?: boolean;
  disable?: boolean;
  data?: Record<string, unknown>;
}

function parseSchedule(value: string): number[] {
  const steps = value.split(",").map((s) => s.trim());
  if (steps.some((s) => !/^\d+$/.test(s))) throw new InvalidArgumentError("expected seconds separated by commas, e.g. 5,30,300");
  return steps.map(Number);
}

function parseHeader(value: string, previous: Record<string, string> | undefined): Record<string, string> {
  const colon = value.indexOf(":");
  if (colon <= 0) throw new InvalidArgumentError('expected "Name: value"');
  return { ...previous, [value.slice(0, colon).trim()]: value.slice(colon + 1).trim() };
}

function parseObject(value: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(value);
  } catch {
    throw new InvalidArgumentError("expected a JSON object");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new InvalidArgumentError("expected a JSON object");
  return parsed as Record<string, unknown>;
}

/** The flags create and update share. */
function withEndpointFlags(command: Command): Command {
  return command
    .option("--name <name>", "display name")
    .option("--description <text>", "what the endpoint is for")
    .option("--event <type>", "event type or pattern (document.*) it listens for; repeatable; none = all", collect)
    .option("--source <source>", "only messages from this source")
    .option("--header <header>", 'static header sent with every delivery, "Name: value"; repeatable', parseHeader)
    .addOption(new Option("--scheme <scheme>", "signature scheme (ed25519: receivers verify with a public key)").choices(["standard", "hmac-sha256", "ed25519"]))
    .option("--signature-header <name>", "hmac-sha256: header carrying the signature")
    .option("--signature-prefix <prefix>", "hmac-sha256: text before the hex signature, e.g. sha256=")
    .addOption(new Option("--max-attempts <n>", "attempts per delivery, first try included").argParser(integerIn(1, MAX_ATTEMPTS_LIMIT)))
    .addOption(new Option("--schedule <seconds>", "retry delays in seconds, comma-separated: 5,30,300").argParser(parseSchedule))
    .addOption(new Option("--timeout-ms <ms>", "how long to wait for the receiver").argParser(integerIn(MIN_TIMEOUT_MS, MAX_TIMEOUT_MS)))
    .addOption(new Option("--rate-limit <n>", "at most n deliveries per second, across all consumers").argParser(integerIn(1, MAX_RATE_PER_SECOND)))
    .addOption(new Option("--burst <n>", `with --rate-limit: deliveries sent back to back (default ${DEFAULT_RATE_BURST})`).argParser(integerIn(1, MAX_RATE_BURST)))
    .addOption(new Option("--max-in-flight <n>", "at most n requests open at once").argParser(integerIn(1, MAX_IN_FLIGHT)))
    .addOption(new Option("--filter <json>", `payload filter, a JSON object: '{"amount":{"$gte":100}}' (docs/delivery-control.md)`).argParser(parseObject))
    .addOption(new Option("--data <json>", "any other fields, as a JSON object merged into the request").argParser(parseObject));
}

/** The API request body the flags describe (only what was given). */
function endpointBody(flags: EndpointFlags): Record<string, unknown> {
  const body: Record<string, unknown> = {};
  if (flags.url !== undefined) body.url = flags.url;
  if (flags.name !== undefined) body.name = flags.name;
  if (flags.description !== undefined) body.description = flags.description;
  if (flags.event) body.events = flags.event;
  else if (flags.allEvents) body.events = [];
  if (flags.source !== undefined) body.source = flags.source;
  else if (flags.anySource) body.source = null;
  if (flags.header) body.headers = flags.header;
  else if (flags.clearHeaders) body.headers = {};
  const customSignature = flags.signatureHeader !== undefined || flags.signaturePrefix !== undefined;
  if (flags.scheme || customSignature) {
    body.signature = {
      scheme: flags.scheme ?? "hmac-sha256",
      ...(flags.signatureHeader !== undefined ? { header: flags.signatureHeader } : {}),
      ...(flags.signaturePrefix !== undefined ? { prefix: flags.signaturePrefix } : {}),
    };
  }
  if (flags.maxAttempts !== undefined || flags.schedule) {
    body.retry = { ...(flags.maxAttempts !== undefined ? { max_attempts: flags.maxAttempts } : {}), ...(flags.schedule ? { schedule: flags.schedule } : {}) };
  }
  if (flags.timeoutMs !== undefined) body.timeout_ms = flags.timeoutMs;
  // A burst belongs to a rate: the API takes them together, and a lone --burst would be dropped silently.
  if (flags.burst !== undefined && flags.rateLimit === undefined) throw new UsageError("--burst needs --rate-limit (a burst is part of the endpoint's rate limit)");
  if (flags.rateLimit !== undefined) body.rate_limit = { per_second: flags.rateLimit, ...(flags.burst !== undefined ? { burst: flags.burst } : {}) };
  if (flags.maxInFlight !== undefined) body.max_in_flight = flags.maxInFlight;
  if (flags.clearLimits) Object.assign(body, { rate_limit: null, max_in_flight: null });
  if (flags.filter) body.filter = flags.filter;
  else if (flags.clearFilter) body.filter = null;
  if (flags.secret !== undefined) body.secret = flags.secret;
  if (flags.disabled || flags.disable) body.enabled = false;
  if (flags.enable) body.enabled = true;
  return { ...body, ...flags.data };
}

function signatureText(signature: Endpoint["signature"]): string {
  if (signature.scheme !== "hmac-sha256") return signature.scheme;
  return `hmac-sha256 (header ${signature.header ?? DEFAULT_HMAC_HEADER}${signature.prefix ? `, prefix ${signature.prefix}` : ""})`;
}

function retryText(retry: Endpoint["retry"]): string {
  const parts = [];
  if (retry.max_attempts !== undefined) parts.push(`${retry.max_attempts} attempts`);
  if (retry.schedule) parts.push(`after ${retry.schedule.join(", ")} s`);
  return parts.length ? parts.join(", ") : `default (${DEFAULT_MAX_ATTEMPTS} attempts, growing from ${DEFAULT_FIRST_RETRY_SECONDS} s)`;
}

/** An endpoint as label-value lines; header values are left out as they often hold credentials. */
export function endpointDetails(e: Endpoint | Schema<"CreatedEndpoint">): string {
  return details([
    ["id", e.id],
    ["url", e.url],
    ["name", e.name],
    ["description", e.description],
    ["events", e.events.length ? e.events : "all"],
    ["source", e.source ?? "any"],
    ["headers", Object.keys(e.headers)],
    ["enabled", e.enabled ? "yes" : `no${e.disabled_reason ? ` (${e.disabled_reason})` : ""}`],
    ["failing since", time(e.failing_since) ?? "not failing"],
    ["signature", signatureText(e.signature)],
    ["retry", retryText(e.retry)],
    ["timeout", `${e.timeout_ms} ms`],
    ["rate limit", e.rate_limit ? `${e.rate_limit.per_second}/s, burst ${e.rate_limit.burst}` : "none"],
    ["max in flight", e.max_in_flight ?? "no cap"],
    ["filter", e.filter ? JSON.stringify(e.filter) : "none (every payload)"],
    ["delivery lane", e.delivery_lane],
    ...(e.public_key ? [["public key", e.public_key] as [string, unknown]] : []),
    ["created", time(e.created_at)],
    ["updated", time(e.updated_at)],
    ...("secret" in e && e.secret ? [["secret", e.secret] as [string, unknown]] : []),
  ]);
}

const endpointPath = async (ctx: CommandContext, id: string) => `${await ctx.tenantPath()}/endpoints/${segment(id)}`;

/** `edgehook endpoints …`: where a tenant's webhooks go. */
export function registerEndpoints(program: Command): void {
  const endpoints = program.command("endpoints").description("manage a tenant's endpoints");

  withEndpointFlags(endpoints.command("create").description("create an endpoint (prints its secret this once)").argument("<url>", "where deliveries go"))
    .option("--secret <key>", "use this signing key instead of a generated one (whsec_…; whsk_… for --scheme ed25519)")
    .option("--disabled", "create it disabled")
    .action(async (url: string, flags: EndpointFlags, command: Command) => {
      const ctx = contextOf(command);
      const endpoint = await ctx.client.post<Schema<"CreatedEndpoint">>(`${await ctx.tenantPath()}/endpoints`, endpointBody({ ...flags, url }));
      ctx.show(endpoint, endpointDetails);
    });

  withPaging(endpoints.command("list").description("list endpoints"))
    .option("--source <source>", "only endpoints listening for this source")
    .addOption(new Option("--enabled", "only enabled endpoints").conflicts("disabled"))
    .option("--disabled", "only disabled endpoints")
    .action(async (options: PagingOptions & { source?: string; enabled?: boolean; disabled?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const enabled = options.enabled ? "true" : options.disabled ? "false" : undefined;
      const page = await ctx.client.list<Endpoint>(`${await ctx.tenantPath()}/endpoints`, { ...pagingQuery(options), source: options.source, enabled }, !!options.all);
      ctx.show(page, ({ data }) =>
        table(data, [
          { title: "ID", value: (e) => e.id },
          { title: "URL", value: (e) => e.url, max: 60 },
          { title: "ENABLED", value: (e) => (e.enabled ? "yes" : "no") },
          { title: "FAILING SINCE", value: (e) => time(e.failing_since) ?? "-" },
          { title: "EVENTS", value: (e) => (e.events.length ? e.events : "all"), max: 30 },
          { title: "SOURCE", value: (e) => e.source ?? "any" },
          { title: "SCHEME", value: (e) => e.signature.scheme },
          { title: "NAME", value: (e) => e.name, max: 30 },
        ]),
      );
      hintNextPage(ctx.json, page.next_cursor);
    });

  addShowCommand(endpoints, { description: "show an endpoint", idName: "endpoint_id", path: endpointPath, render: endpointDetails });

  withEndpointFlags(endpoints.command("update").description("change an endpoint (only the fields given)").argument("<endpoint_id>"))
    .option("--url <url>", "new target URL")
    .option("--all-events", "listen for every event type")
    .option("--any-source", "listen for messages from every source")
    .option("--clear-headers", "send no static headers")
    .option("--clear-limits", "remove the rate limit and the in-flight cap")
    .addOption(new Option("--clear-filter", "deliver every payload again").conflicts("filter"))
    .addOption(new Option("--enable", "enable it (also after an automatic disable)").conflicts("disable"))
    .option("--disable", "stop deliveries to it")
    .action(async (id: string, flags: EndpointFlags, command: Command) => {
      const ctx = contextOf(command);
      const body = endpointBody(flags);
      if (Object.keys(body).length === 0) throw new UsageError("Nothing to change: give at least one field (see --help)");
      ctx.show(await ctx.client.patch<Endpoint>(await endpointPath(ctx, id), body), endpointDetails);
    });

  const remove = { description: "delete an endpoint; pending deliveries to it are cancelled", idName: "endpoint_id" };
  addIdCommand(endpoints, "delete", remove, async (ctx, id) => {
    await ctx.client.delete(await endpointPath(ctx, id));
    ctx.show({ id, deleted: true }, () => `Deleted endpoint ${id}\n`);
  });

  addSecretCommands(endpoints, {
    description: "reveal or rotate an endpoint's signing secret",
    idName: "endpoint_id",
    secretPath: async (ctx, id) => `${await endpointPath(ctx, id)}/secret`,
  });

  addIdCommand(endpoints, "test", { description: "send a webhook.test message to the endpoint", idName: "endpoint_id" }, async (ctx, id) => {
    const sent = await ctx.client.post<Schema<"EnqueuedMessage">>(`${await endpointPath(ctx, id)}/test`);
    ctx.show(sent, (m) => `Sent ${m.event} message ${m.id}\n${deliveryRefsTable(m.deliveries)}`);
  });

  endpoints
    .command("stats")
    .description("show an endpoint's attempts, success rate and latency over a window, with a small series")
    .argument("<endpoint_id>")
    .addOption(new Option("--window <window>", "how far back").choices(["1h", "24h", "7d"]).default("24h"))
    .action(async (id: string, options: { window: string }, command: Command) => {
      const ctx = contextOf(command);
      ctx.show(await ctx.client.get<Schema<"EndpointStats">>(`${await endpointPath(ctx, id)}/stats`, { window: options.window }), statsText);
    });

  endpoints
    .command("recover")
    .description("replay every failed delivery of the endpoint since a time")
    .argument("<endpoint_id>")
    .requiredOption("--since <time>", "ISO-8601 time or an age such as 2h or 7d", (v: string) => parseSince(v))
    .action(async (id: string, options: { since: string }, command: Command) => {
      await recover(contextOf(command), id, options.since);
    });
}

/** Replays an endpoint's failed deliveries since `since` and reports them. */
export async function recover(ctx: CommandContext, endpointId: string, since: string): Promise<void> {
  const replayed = await ctx.client.post<Schema<"Replayed">>(`${await endpointPath(ctx, endpointId)}/recover`, { since });
  ctx.show(replayed, ({ deliveries }) =>
    deliveries.length === 0
      ? `No failed delivery since ${since}: nothing to replay\n`
      : `Replaying ${deliveries.length} failed deliveries since ${since}\n${deliveries.map((d) => `${d.id}\n`).join("")}`,
  );
}
