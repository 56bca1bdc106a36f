import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { indentJson, memberText, objectText } from "../../../src/lib/json-text.ts";
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_WINDOW_TEXT, MAX_BATCH_BODY_BYTES, MAX_BATCH_MESSAGES } from "../../../src/limits.ts";
import { collect, parseDelay } from "../../lib/parse.ts";
import { contextOf, segment, UsageError } from "../context.ts";
import { details, out, table, time } from "../output.ts";
import type { Schema } from "../client.ts";
import { sendJsonLines } from "./bulk-send.ts";
import { hintNextPage, pagingQuery, withPaging, type PagingOptions } from "./paging.ts";

interface SendOptions {
  file?: string;
  source?: string;
  endpoint?: string[];
  webhookUrl?: string;
  idempotencyKey?: string;
  delay?: number;
  deliverAt?: string;
}

/** The deliveries an enqueue created. */
export function deliveryRefsTable(deliveries: Schema<"EnqueuedMessage">["deliveries"]): string {
  return table(
    deliveries,
    [
      { title: "DELIVERY", value: (d) => d.id },
      { title: "ENDPOINT", value: (d) => d.endpoint_id ?? "(webhook_url)" },
      { title: "STATUS", value: (d) => d.status },
    ],
    "(no endpoint matched: nothing will be delivered)",
  );
}

/** Deliveries with their state, as polling shows them. */
export function deliveriesTable(deliveries: ReadonlyArray<Schema<"DeliverySummary">>): string {
  return table(deliveries, [
    { title: "ID", value: (d) => d.id },
    { title: "STATUS", value: (d) => d.status },
    { title: "ATTEMPTS", value: (d) => d.attempt_count },
    { title: "LAST", value: (d) => d.last_status_code ?? (d.last_error ? "error" : null) },
    { title: "TARGET", value: (d) => d.endpoint_id ?? d.url, max: 40 },
    { title: "CREATED", value: (d) => time(d.created_at) },
    { title: "NEXT ATTEMPT", value: (d) => time(d.next_attempt_at) },
    { title: "LAST ERROR", value: (d) => d.last_error, max: 50 },
  ]);
}

/**
 * The payload to send: the argument, a file, or stdin (`--file -`), as JSON text. It is checked
 * but sent as written, so the relay gets its numbers and escapes unchanged.
 */
function readPayload(argument: string | undefined, file: string | undefined): string {
  if (argument !== undefined && file !== undefined) throw new UsageError("Give the payload as an argument or with --file, not both");
  if (argument === undefined && file === undefined) throw new UsageError("No payload: give it as a JSON argument or with --file <path> (- for stdin)");
  const text = argument ?? readFileSync(file === "-" ? 0 : file!, "utf8");
  try {
    JSON.parse(text);
  } catch (error) {
    throw new UsageError(`The payload is not JSON: ${(error as Error).message}`);
  }
  return text.trim();
}

/** A message for people, with `payload` (its stored JSON text) indented as it was sent. */
function messageDetails(m: Schema<"Message">, payload: string): string {
  const shown = indentJson(payload).replace(/^/gm, "  ");
  return `${details([["id", m.id], ["event", m.event], ["source", m.source], ["created", time(m.created_at)]])}payload:\n${shown}\n\n${deliveriesTable(m.deliveries)}`;
}

/** `edgehook messages …`: enqueue and inspect messages. */
export function registerMessages(program: Command): void {
  const messages = program.command("messages").description("send and inspect messages");

  messages
    .command("send")
    .description(
      "enqueue a message for delivery to the tenant's matching endpoints; without <event>, send every message of a JSONL file " +
        `(one enqueue body per line, optional idempotency_key) in batches of ${MAX_BATCH_MESSAGES} ` +
        `(fewer when they would exceed the ${MAX_BATCH_BODY_BYTES / 1024 / 1024} MiB batch body)`,
    )
    .argument("[event]", "event type, e.g. document.predicted")
    .argument("[payload]", "the payload as JSON")
    .option("--file <path>", "read the JSON payload from a file (- for stdin); without <event>: a JSONL file of messages")
    .option("--source <source>", "the model, product or project it comes from")
    .option("--endpoint <id>", "send to this endpoint only; repeatable", collect)
    .option("--webhook-url <url>", "also send to this one-off URL")
    .option("--idempotency-key <key>", `send at most once per key within ${IDEMPOTENCY_WINDOW_TEXT}`)
    .option("--delay <delay>", "deliver after this delay: seconds (90) or with a unit (60s, 5m, 2h, 7d); at most 30 days", parseDelay)
    .option("--deliver-at <time>", "deliver at this RFC 3339 time (2026-12-08T09:00:00Z), at most 30 days ahead")
    .action(async (event: string | undefined, payloadArgument: string | undefined, options: SendOptions, command: Command) => {
      const ctx = contextOf(command);
      if (event === undefined) {
        if (options.file === undefined) throw new UsageError("No event: give <event> and a payload, or --file <messages.jsonl> (- for stdin) to send many");
        if (options.source || options.endpoint || options.webhookUrl || options.idempotencyKey || options.delay !== undefined || options.deliverAt) {
          throw new UsageError("With a JSONL file, give --source, --endpoint, --webhook-url, delays and idempotency keys on each line instead");
        }
        process.exitCode = await sendJsonLines(ctx, options.file);
        return;
      }
      const body = objectText(
        {
          event,
          payload: null,
          source: options.source,
          endpoint_ids: options.endpoint,
          webhook_url: options.webhookUrl,
          delay_seconds: options.delay,
          deliver_at: options.deliverAt,
        },
        { payload: readPayload(payloadArgument, options.file) },
      );
      const headers = options.idempotencyKey ? { [IDEMPOTENCY_KEY_HEADER]: options.idempotencyKey } : undefined;
      const sent = await ctx.client.request<Schema<"EnqueuedMessage">>("POST", `${await ctx.tenantPath()}/messages`, { bodyText: body, headers });
      ctx.show(sent, (m) => `Enqueued ${m.event} message ${m.id}\n${deliveryRefsTable(m.deliveries)}`);
    });

  messages
    .command("show")
    .description("show a message, its payload and each delivery's state")
    .argument("<message_id>")
    .action(async (id: string, _options: object, command: Command) => {
      const ctx = contextOf(command);
      // Read as text: the payload is shown as stored, not as JSON.parse would round its numbers.
      const text = await ctx.client.requestText("GET", `${await ctx.tenantPath()}/messages/${segment(id)}`);
      out(ctx.json ? `${indentJson(text)}\n` : messageDetails(JSON.parse(text) as Schema<"Message">, memberText(text, "payload") ?? "null"));
    });

  messages
    .command("cancel")
    .description("cancel a message's deliveries not attempted yet (scheduled or pending); ones already attempted are left as they are")
    .argument("<message_id>")
    .action(async (id: string, _options: object, command: Command) => {
      const ctx = contextOf(command);
      const text = await ctx.client.requestText("POST", `${await ctx.tenantPath()}/messages/${segment(id)}/cancel`);
      const message = JSON.parse(text) as Schema<"Message">;
      out(ctx.json ? `${indentJson(text)}\n` : `Cancelled what was not attempted of message ${message.id}\n${deliveriesTable(message.deliveries)}`);
    });

  withPaging(messages.command("list").description("list messages, newest first"))
    .option("--event <type>", "only this event type")
    .action(async (options: PagingOptions & { event?: string }, command: Command) => {
      const ctx = contextOf(command);
      const page = await ctx.client.list<Schema<"MessageListItem">>(`${await ctx.tenantPath()}/messages`, { ...pagingQuery(options), event: options.event }, !!options.all);
      ctx.show(page, ({ data }) =>
        table(data, [
          { title: "ID", value: (m) => m.id },
          { title: "EVENT", value: (m) => m.event },
          { title: "SOURCE", value: (m) => m.source },
          { title: "CREATED", value: (m) => time(m.created_at) },
        ]),
      );
      hintNextPage(ctx.json, page.next_cursor);
    });
}
