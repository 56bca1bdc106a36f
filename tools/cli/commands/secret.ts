import { Option, type Command } from "commander";
import { DEFAULT_ROTATION_GRACE_SECONDS, MAX_ROTATION_GRACE_SECONDS } from "../../../src/limits.ts";
import { integerIn } from "../../lib/parse.ts";
import { contextOf, type CommandContext } from "../context.ts";
import { addIdCommand } from "./id-command.ts";
import { details, time } from "../output.ts";
import type { Schema } from "../client.ts";

type SigningSecret = Schema<"EndpointSecret">;

/** A secret response as label-value lines. */
function secretDetails(s: SigningSecret): string {
  const previous = s.previous.map((p) => `until ${time(p.expires_at)}${p.public_key ? ` (${p.public_key})` : ""}`);
  return details([
    ["secret", s.secret],
    ...(s.public_key ? [["public key", s.public_key] as [string, unknown]] : []),
    ["co-signing", previous.length ? previous.join("; ") : "no earlier secret"],
  ]);
}

/**
 * Adds `secret reveal <id>` and `secret rotate <id>` under `parent`, for a resource whose secret
 * lives at `secretPath(ctx, id)` (and `…/rotate`).
 */
export function addSecretCommands(
  parent: Command,
  { description, idName, secretPath }: { description: string; idName: string; secretPath: (ctx: CommandContext, id: string) => Promise<string> },
): void {
  const secret = parent.command("secret").description(description);
  addIdCommand(secret, "reveal", { description: "print the current signing secret", idName }, async (ctx, id) =>
    ctx.show(await ctx.client.get<SigningSecret>(await secretPath(ctx, id)), secretDetails),
  );
  secret
    .command("rotate")
    .description("switch to a new secret; the old one keeps co-signing for the grace period")
    .argument(`<${idName}>`)
    .addOption(new Option("--grace <seconds>", `how long the old secret keeps co-signing (default ${DEFAULT_ROTATION_GRACE_SECONDS})`).argParser(integerIn(0, MAX_ROTATION_GRACE_SECONDS)))
    .option("--secret <key>", "the new key, instead of a generated one (whsec_…, or whsk_… for an ed25519 endpoint)")
    .action(async (id: string, options: { grace?: number; secret?: string }, command: Command) => {
      const ctx = contextOf(command);
      const body = { grace_period_seconds: options.grace, secret: options.secret };
      ctx.show(await ctx.client.post<SigningSecret>(`${await secretPath(ctx, id)}/rotate`, body), secretDetails);
    });
}
