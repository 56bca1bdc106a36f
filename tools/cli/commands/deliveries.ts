import { Option, type Command } from "commander";
import { parseSince } from "../../lib/parse.ts";
import { contextOf, segment } from "../context.ts";
import { details, table, time } from "../output.ts";
import type { Schema } from "../client.ts";
import { recover } from "./endpoints.ts";
import { deliveriesTable } from "./messages.ts";
import { hintNextPage, pagingQuery, withPaging, type PagingOptions } from "./paging.ts";
import { addIdCommand, addShowCommand } from "./id-command.ts";

/** Every delivery state, checked against the API's schema: a state added or removed there fails the typecheck here. */
const STATES: Record<Schema<"DeliverySummary">["status"], true> = { scheduled: true, pending: true, retrying: true, succeeded: true, failed: true, cancelled: true };
export const DELIVERY_STATUSES = Object.keys(STATES);

interface ListOptions extends PagingOptions {
  endpoint?: string;
  message?: string;
  status?: string;
  since?: string;
}

/**
 * An attempt's outcome as an operator reads it: the last attempt of a delivery that failed for good
 * was final, though the receiver's answer alone would have allowed a retry.
 */
function outcomeLabel(d: Schema<"Delivery">, attempt: Schema<"Delivery">["attempts"][number]): string {
  const last = Math.max(...d.attempts.map((a) => a.attempt));
  return d.status === "failed" && attempt.attempt === last && attempt.outcome === "retryable" ? "final" : attempt.outcome;
}

function deliveryDetails(d: Schema<"Delivery">): string {
  const summary = details([
    ["id", d.id],
    ["event", d.event],
    ["message", d.message_id],
    ["target", d.endpoint_id ? `endpoint ${d.endpoint_id}` : d.url],
    ["status", d.status],
    ["attempts", d.attempt_count],
    ["next attempt", time(d.next_attempt_at)],
    ["created", time(d.created_at)],
  ]);
  const attempts = table(
    d.attempts,
    [
      { title: "#", value: (a) => a.attempt },
      { title: "AT", value: (a) => time(a.created_at) },
      { title: "OUTCOME", value: (a) => outcomeLabel(d, a) },
      { title: "STATUS", value: (a) => a.status_code },
      { title: "TOOK", value: (a) => `${a.duration_ms} ms` },
      { title: "ERROR", value: (a) => a.error, max: 50 },
      { title: "RESPONSE", value: (a) => a.response_body, max: 40 },
    ],
    "(no attempt yet)",
  );
  return `${summary}\nattempts:\n${attempts}`;
}

/** `edgehook deliveries …`: inspect and replay deliveries. */
export function registerDeliveries(program: Command): void {
  const deliveries = program.command("deliveries").description("inspect and replay deliveries");

  withPaging(deliveries.command("list").description("list deliveries, newest first"))
    .option("--endpoint <id>", "only to this endpoint")
    .option("--message <id>", "only of this message")
    .addOption(new Option("--status <status>", "only in this state").choices(DELIVERY_STATUSES))
    .option("--since <time>", "only created since: ISO-8601 time or an age such as 2h", (v: string) => parseSince(v))
    .action(async (options: ListOptions, command: Command) => {
      const ctx = contextOf(command);
      const query = { ...pagingQuery(options), endpoint_id: options.endpoint, message_id: options.message, status: options.status, since: options.since };
      const page = await ctx.client.list<Schema<"DeliverySummary">>(`${await ctx.tenantPath()}/deliveries`, query, !!options.all);
      ctx.show(page, ({ data }) => deliveriesTable(data));
      hintNextPage(ctx.json, page.next_cursor);
    });

  addShowCommand(deliveries, {
    description: "show a delivery with every attempt",
    idName: "delivery_id",
    path: async (ctx, id) => `${await ctx.tenantPath()}/deliveries/${segment(id)}`,
    render: deliveryDetails,
  });

  const retry = { description: "replay a delivery now, whatever its state, with a fresh attempt budget", idName: "delivery_id" };
  addIdCommand(deliveries, "retry", retry, async (ctx, id) => {
    const replayed = await ctx.client.post<Schema<"Replayed">>(`${await ctx.tenantPath()}/deliveries/${segment(id)}/retry`);
    ctx.show(replayed, () => `Replaying delivery ${id}\n`);
  });

  deliveries
    .command("recover")
    .description("replay every failed delivery of an endpoint since a time (same as endpoints recover)")
    .requiredOption("--endpoint <id>", "the endpoint")
    .requiredOption("--since <time>", "ISO-8601 time or an age such as 2h or 7d", (v: string) => parseSince(v))
    .action(async (options: { endpoint: string; since: string }, command: Command) => {
      await recover(contextOf(command), options.endpoint, options.since);
    });
}
