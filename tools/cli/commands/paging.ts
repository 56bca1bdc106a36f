import { Option, type Command } from "commander";
import { MAX_PAGE_SIZE } from "../../../src/limits.ts";
import { integerIn } from "../../lib/parse.ts";
import { note } from "../output.ts";

export interface PagingOptions {
  limit?: number;
  cursor?: string;
  all?: boolean;
}

/** Adds --limit, --cursor and --all to a list command. */
export function withPaging(command: Command): Command {
  return command
    .addOption(new Option("--limit <n>", `items per page (1–${MAX_PAGE_SIZE})`).argParser(integerIn(1, MAX_PAGE_SIZE)))
    .option("--cursor <cursor>", "continue after a previous page")
    .addOption(new Option("--all", "follow every page").conflicts("cursor"));
}

/** The query part of paging options. */
export function pagingQuery(options: PagingOptions): { limit?: number; cursor?: string } {
  return { limit: options.all ? (options.limit ?? MAX_PAGE_SIZE) : options.limit, cursor: options.cursor };
}

/** Tells a person how to get the next page, when there is one. */
export function hintNextPage(json: boolean, nextCursor: string | null): void {
  if (!json && nextCursor) note(`More: --cursor ${nextCursor} (or --all)`);
}
