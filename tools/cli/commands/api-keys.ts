import type { Command } from "commander";
import { contextOf, segment } from "../context.ts";
import { details, note, table, time } from "../output.ts";
import { addIdCommand } from "./id-command.ts";
import type { Schema } from "../client.ts";

/** `edgehook api-keys …`: a tenant's API keys (admin token only). */
export function registerApiKeys(program: Command): void {
  const keys = program.command("api-keys").description("issue, list and revoke a tenant's API keys (admin token)");

  keys
    .command("create")
    .description("issue an API key for the tenant; it is shown only once")
    .option("--name <name>", "what the key is for")
    .action(async (options: { name?: string }, command: Command) => {
      const ctx = contextOf(command);
      const key = await ctx.client.post<Schema<"CreatedApiKey">>(`${await ctx.tenantPath()}/api-keys`, { name: options.name });
      ctx.show(key, (k) => details([["id", k.id], ["name", k.name], ["key", k.key], ["created", time(k.created_at)]]));
      if (!ctx.json) note("Store the key now: it is not shown again.");
    });

  keys
    .command("list")
    .description("list the tenant's API keys (metadata only)")
    .action(async (_options: object, command: Command) => {
      const ctx = contextOf(command);
      const page = await ctx.client.get<{ data: Array<Schema<"ApiKey">> }>(`${await ctx.tenantPath()}/api-keys`);
      ctx.show(page, ({ data }) =>
        table(data, [
          { title: "ID", value: (k) => k.id },
          { title: "NAME", value: (k) => k.name, max: 30 },
          { title: "PREFIX", value: (k) => k.key_prefix },
          { title: "CREATED", value: (k) => time(k.created_at) },
          { title: "REVOKED", value: (k) => time(k.revoked_at) },
        ]),
      );
    });

  addIdCommand(keys, "revoke", { description: "revoke an API key", idName: "key_id" }, async (ctx, id) => {
    await ctx.client.delete(`${await ctx.tenantPath()}/api-keys/${segment(id)}`);
    ctx.show({ id, revoked: true }, () => `Revoked API key ${id}\n`);
  });
}
