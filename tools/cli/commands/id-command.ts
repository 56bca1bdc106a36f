import type { Command } from "commander";
import { contextOf, type CommandContext } from "../context.ts";

/** Adds `<parent> <name> <idName>`, a command about one resource: `run` gets the command's context and the id. */
export function addIdCommand(
  parent: Command,
  name: string,
  { description, idName }: { description: string; idName: string },
  run: (ctx: CommandContext, id: string) => Promise<void>,
): void {
  parent
    .command(name)
    .description(description)
    .argument(`<${idName}>`)
    .action(async (id: string, _options: object, command: Command) => run(contextOf(command), id));
}

/** Adds `<parent> show <idName>`: reads the resource at `path(ctx, id)` and prints it with `render` (or as JSON). */
export function addShowCommand<T>(
  parent: Command,
  { description, idName, path, render }: { description: string; idName: string; path: (ctx: CommandContext, id: string) => Promise<string>; render: (value: T) => string },
): void {
  addIdCommand(parent, "show", { description, idName }, async (ctx, id) => ctx.show(await ctx.client.get<T>(await path(ctx, id)), render));
}
