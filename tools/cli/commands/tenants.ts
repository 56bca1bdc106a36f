import type { Command } from "commander";
import { contextOf, segment } from "../context.ts";
import { details, table, time } from "../output.ts";
import type { Schema } from "../client.ts";

type Tenant = Schema<"Tenant">;
import { hintNextPage, pagingQuery, withPaging, type PagingOptions } from "./paging.ts";
import { addSecretCommands } from "./secret.ts";
import { addIdCommand, addShowCommand } from "./id-command.ts";

const tenantDetails = (t: Tenant) => details([["id", t.id], ["name", t.name], ["created", time(t.created_at)]]);

/** `edgehook tenants …` (admin token only). */
export function registerTenants(program: Command): void {
  const tenants = program.command("tenants").description("create, list, show and delete tenants (admin token); their one-off signing secret");

  tenants
    .command("create")
    .description("create a tenant")
    .argument("<name>", "display name")
    .option("--id <id>", "choose the tenant id (letters, digits, - and _), default a UUID")
    .action(async (name: string, options: { id?: string }, command: Command) => {
      const ctx = contextOf(command);
      const tenant = await ctx.client.post<Tenant>("/v1/tenants", { name, id: options.id });
      ctx.show(tenant, tenantDetails);
    });

  withPaging(tenants.command("list").description("list tenants")).action(async (options: PagingOptions, command: Command) => {
    const ctx = contextOf(command);
    const page = await ctx.client.list<Tenant>("/v1/tenants", pagingQuery(options), !!options.all);
    ctx.show(page, ({ data }) =>
      table(data, [
        { title: "ID", value: (t) => t.id },
        { title: "NAME", value: (t) => t.name, max: 40 },
        { title: "CREATED", value: (t) => time(t.created_at) },
      ]),
    );
    hintNextPage(ctx.json, page.next_cursor);
  });

  addShowCommand(tenants, { description: "show a tenant", idName: "tenant_id", path: async (_ctx, id) => `/v1/tenants/${segment(id)}`, render: tenantDetails });

  addIdCommand(tenants, "delete", { description: "delete a tenant and everything it owns", idName: "tenant_id" }, async (ctx, id) => {
    await ctx.client.delete(`/v1/tenants/${segment(id)}`);
    ctx.show({ id, deleted: true }, () => `Deleted tenant ${id}\n`);
  });

  addSecretCommands(tenants, {
    description: "reveal or rotate the secret that signs the tenant's one-off webhook_url deliveries",
    idName: "tenant_id",
    secretPath: async (_ctx, id) => `/v1/tenants/${segment(id)}/secret`,
  });
}
