import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { contextOf, segment, UsageError } from "../context.ts";
import { details, table, time } from "../output.ts";
import type { Schema } from "../client.ts";
import { hintNextPage, pagingQuery, withPaging, type PagingOptions } from "./paging.ts";
import { addIdCommand, addShowCommand } from "./id-command.ts";

type EventType = Schema<"EventType">;

const eventTypeDetails = (t: EventType) =>
  details([
    ["name", t.name],
    ["description", t.description],
    ["enforce", t.enforce],
    ["deprecated", t.deprecated],
    ["created", time(t.created_at)],
    ["updated", time(t.updated_at)],
    ["schema", t.schema],
    ["example", t.example],
  ]);

/** JSON read from a file (`-` for stdin); a file that is not JSON is a usage error naming the option. */
function jsonFile(path: string, option: string): unknown {
  const text = readFileSync(path === "-" ? 0 : path, "utf8");
  try {
    return JSON.parse(text);
  } catch {
    throw new UsageError(`${option} ${path}: not valid JSON`);
  }
}

/** `edgehook event-types …`: the event-type catalogue (the admin token writes, tenant keys read). */
export function registerEventTypes(program: Command): void {
  const eventTypes = program.command("event-types").description("the event-type catalogue: create, list, show and delete (admin token writes)");

  eventTypes
    .command("create")
    .description("add an event type to the catalogue")
    .argument("<name>", "the event type, e.g. invoice.paid")
    .option("--description <text>", "what the event means", "")
    .option("--schema <file>", "a JSON Schema (draft 2020-12) file its payloads follow (- for stdin)")
    .option("--example <file>", "an example payload file; must match the schema")
    .option("--enforce", "refuse (422) payloads of this type that do not match the schema")
    .option("--deprecated", "mark the type deprecated (still accepted)")
    .action(async (name: string, options: { description: string; schema?: string; example?: string; enforce?: boolean; deprecated?: boolean }, command: Command) => {
      const ctx = contextOf(command);
      const created = await ctx.client.post<EventType>("/v1/event-types", {
        name,
        description: options.description,
        schema: options.schema === undefined ? undefined : jsonFile(options.schema, "--schema"),
        example: options.example === undefined ? undefined : jsonFile(options.example, "--example"),
        enforce: !!options.enforce,
        deprecated: !!options.deprecated,
      });
      ctx.show(created, eventTypeDetails);
    });

  eventTypes
    .command("update")
    .description("change an event type: only what the flags name")
    .argument("<name>")
    .option("--description <text>", "what the event means")
    .option("--schema <file>", "a new JSON Schema file (- for stdin)")
    .option("--clear-schema", "remove the schema")
    .option("--example <file>", "a new example payload file")
    .option("--clear-example", "remove the example")
    .option("--enforce", "refuse payloads that do not match the schema")
    .option("--no-enforce", "accept every payload (the schema only documents)")
    .option("--deprecated", "mark the type deprecated")
    .option("--no-deprecated", "mark the type current")
    .action(
      async (
        name: string,
        options: { description?: string; schema?: string; clearSchema?: boolean; example?: string; clearExample?: boolean; enforce?: boolean; deprecated?: boolean },
        command: Command,
      ) => {
        if (options.schema !== undefined && options.clearSchema) throw new UsageError("--schema and --clear-schema contradict each other");
        if (options.example !== undefined && options.clearExample) throw new UsageError("--example and --clear-example contradict each other");
        const ctx = contextOf(command);
        const updated = await ctx.client.patch<EventType>(`/v1/event-types/${segment(name)}`, {
          description: options.description,
          schema: options.clearSchema ? null : options.schema === undefined ? undefined : jsonFile(options.schema, "--schema"),
          example: options.clearExample ? null : options.example === undefined ? undefined : jsonFile(options.example, "--example"),
          enforce: options.enforce,
          deprecated: options.deprecated,
        });
        ctx.show(updated, eventTypeDetails);
      },
    );

  withPaging(eventTypes.command("list").description("list the catalogue, in name order")).action(async (options: PagingOptions, command: Command) => {
    const ctx = contextOf(command);
    const page = await ctx.client.list<EventType>("/v1/event-types", pagingQuery(options), !!options.all);
    ctx.show(page, ({ data }) =>
      table(data, [
        { title: "NAME", value: (t) => t.name },
        { title: "SCHEMA", value: (t) => (t.schema === null ? "-" : t.enforce ? "enforced" : "documented") },
        { title: "DEPRECATED", value: (t) => (t.deprecated ? "yes" : "-") },
        { title: "DESCRIPTION", value: (t) => t.description, max: 60 },
      ]),
    );
    hintNextPage(ctx.json, page.next_cursor);
  });

  addShowCommand(eventTypes, { description: "show an event type with its schema and example", idName: "name", path: async (_ctx, name) => `/v1/event-types/${segment(name)}`, render: eventTypeDetails });

  addIdCommand(eventTypes, "delete", { description: "remove an event type from the catalogue", idName: "name" }, async (ctx, name) => {
    await ctx.client.delete(`/v1/event-types/${segment(name)}`);
    ctx.show({ name, deleted: true }, () => `Deleted event type ${name}\n`);
  });
}
