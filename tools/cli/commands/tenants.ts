import type { Command } from "commander";
import { contextOf, segment } from "../context.ts";
import { details, time } from "../output.ts";
import type { Tenant } from "../types.ts";

const tenantDetails = (t: Tenant) => details([["id", t.id], ["name", t.name], ["created", time(t.created_at)]]);

/** `edgehook tenants …` (admin token only). */
export function registerTenants(program: Command): void {
  const tenants = program.command("tenants").description("create, show and delete tenants (admin token)");

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

  tenants
    .command("show")
    .description("show a tenant")
    .argument("<tenant_id>")
    .action(async (id: string, _options: object, command: Command) => {
      const ctx = contextOf(command);
      ctx.show(await ctx.client.get<Tenant>(`/v1/tenants/${segment(id)}`), tenantDetails);
    });

  tenants
    .command("delete")
    .description("delete a tenant and everything it owns")
    .argument("<tenant_id>")
    .action(async (id: string, _options: object, command: Command) => {
      const ctx = contextOf(command);
      await ctx.client.delete(`/v1/tenants/${segment(id)}`);
      ctx.show({ id, deleted: true }, () => `Deleted tenant ${id}\n`);
    });
}
