import { Option, type Command } from "commander";
import { MAX_PAGE_SIZE } from "../../../src/limits.ts";
import { integerIn, parseSince } from "../../lib/parse.ts";
import { EdgehookError } from "../../../packages/client/src/index.ts";
import type { Schema } from "../client.ts";
import { contextOf } from "../context.ts";
import { DeliveryFollower } from "../follow.ts";
import { note, time } from "../output.ts";


/** Deliveries created this long before `tail` starts are shown too: room for clock differences. */
const CLOCK_MARGIN_MS = 5_000;

function changeLine(d: Schema<"DeliverySummary">): string {
  const target = d.endpoint_id ? `endpoint ${d.endpoint_id}` : (d.url ?? "-");
  const outcome = d.last_status_code ?? (d.last_error ? "error" : "-");
  const next = d.next_attempt_at ? ` (next attempt ${time(d.next_attempt_at)})` : "";
  const error = d.last_error && d.status !== "succeeded" ? `  ${d.last_error}` : "";
  return `${time(d.updated_at)}  ${d.status.padEnd(9)}  attempt ${d.attempt_count}  ${String(outcome).padEnd(5)}  delivery ${d.id} → ${target}${error}${next}\n`;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** `edgehook tail`: follow a tenant's deliveries as they happen. */
export function registerTail(program: Command): void {
  program
    .command("tail")
    .description("follow the tenant's deliveries as they are created, retried and finished (Ctrl-C to stop)")
    .option("--endpoint <id>", "only deliveries to this endpoint")
    .option("--since <time>", "start from this time (ISO-8601 or an age such as 10m) instead of now", (v: string) => parseSince(v))
    .addOption(new Option("--interval <ms>", "time between polls").default(1000).argParser(integerIn(200, 60_000)))
    .action(async (options: { endpoint?: string; since?: string; interval: number }, command: Command) => {
      const ctx = contextOf(command);
      const path = `${await ctx.tenantPath()}/deliveries`;
      const follower = new DeliveryFollower(options.since ? Date.parse(options.since) : Date.now() - CLOCK_MARGIN_MS);
      process.once("SIGINT", () => process.exit(0));
      let announced = false;
      for (;;) {
        try {
          const window = await ctx.client.list<Schema<"DeliverySummary">>(path, { limit: MAX_PAGE_SIZE, since: follower.since, endpoint_id: options.endpoint }, true);
          for (const d of follower.update(window.data)) process.stdout.write(ctx.json ? `${JSON.stringify(d)}\n` : changeLine(d));
          if (!announced) note(`Following deliveries of ${(await ctx.tenantPath()).split("/").pop()} (Ctrl-C to stop)`);
          announced = true;
        } catch (error) {
          // A relay that restarts or hiccups should not end a tail; anything else (auth, not found) does.
          const transient = error instanceof EdgehookError && (error.status === 0 || error.status >= 500 || error.status === 429);
          if (!transient) throw error;
          note(`${error.message}; retrying`);
        }
        await sleep(options.interval);
      }
    });
}
