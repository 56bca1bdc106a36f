#!/usr/bin/env node
import "../lib/webcrypto.ts";
import { Command, InvalidArgumentError, Option } from "commander";
import { checkVerifyOptions, type VerifyOptions } from "../../src/verify/index.ts";
import { collect, integerIn } from "../lib/parse.ts";
import { formatEvent } from "./format.ts";
import { startSink } from "./sink.ts";

interface ReceiverOptions {
  port: number;
  host: string;
  secret?: string[];
  publicKey?: string[];
  scheme: "standard" | "hmac-sha256" | "ed25519";
  signatureHeader?: string;
  signaturePrefix?: string;
  tolerance?: number;
  status: number;
  failFirst: number;
  failStatus: number;
  delay: number;
  rejectInvalid: boolean;
  json: boolean;
}

const httpStatus = integerIn(200, 599);

const program = new Command("edgehook-receiver")
  .description(
    "A local webhook sink for testing Edgehook: prints every delivery (headers, pretty JSON body, signature check) " +
      "and answers as you choose, so retries can be watched live.",
  )
  .addOption(new Option("-p, --port <port>", "port to listen on (0 picks a free one)").default(9000).argParser(integerIn(0, 65_535)))
  .option("--host <address>", "address to listen on", "127.0.0.1")
  .addOption(new Option("-s, --secret <secret>", "endpoint secret to verify signatures with (repeatable)").env("EDGEHOOK_SECRET").argParser(collect))
  .addOption(
    new Option("-k, --public-key <whpk>", "ed25519 endpoint's public key (whpk_…) to verify v1a signatures with (repeatable)")
      .env("EDGEHOOK_PUBLIC_KEY")
      .argParser(collect),
  )
  .addOption(new Option("--scheme <scheme>", "the endpoint's signature scheme (ed25519 is implied by --public-key)").choices(["standard", "hmac-sha256", "ed25519"]).default("standard"))
  .option("--signature-header <name>", "hmac-sha256: the endpoint's signature header (default X-Webhook-Signature)")
  .option("--signature-prefix <prefix>", "hmac-sha256: the endpoint's signature prefix (default none)")
  .addOption(new Option("--tolerance <seconds>", "standard and ed25519: accepted clock difference (default 300)").argParser(integerIn(0, 31_536_000)))
  .addOption(new Option("--status <code>", "status of every answer that is not a deliberate failure").default(200).argParser(httpStatus))
  .addOption(new Option("--fail-first <n>", "answer the first n deliveries with --fail-status").default(0).argParser(integerIn(0, 1_000_000)))
  .addOption(new Option("--fail-status <code>", "status of the deliberate failures").default(500).argParser(httpStatus))
  .addOption(new Option("--delay <ms>", "wait this long before every answer").default(0).argParser(integerIn(0, 600_000)))
  .option("--reject-invalid", "answer 401 when a signature does not verify (otherwise it is only reported)", false)
  .option("--json", "print one JSON object per line instead of text", false)
  .action(async (options: ReceiverOptions) => {
    const verify = verifyOptions(options);
    const print = (event: object, text: string) => process.stdout.write(options.json ? `${JSON.stringify(event)}\n` : text);
    const sink = await startSink(
      {
        host: options.host,
        port: options.port,
        verify,
        behaviour: {
          status: options.status,
          failFirst: options.failFirst,
          failStatus: options.failStatus,
          delayMs: options.delay,
          rejectInvalid: options.rejectInvalid,
        },
      },
      (event) => print(event, formatEvent(event)),
    );
    print({ event: "listening", url: sink.url }, `Edgehook receiver listening on ${sink.url} (${summary(options)}); Ctrl-C to stop\n\n`);
    const stop = () => void sink.close().then(() => process.exit(0));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
  });

/**
 * Verify options from the flags, or null without a secret or public key. Every key is checked up
 * front with edgehook/verify's own rule (its kind for the scheme, its form), so a wrong one stops
 * the receiver before it accepts anything.
 */
function verifyOptions(options: ReceiverOptions): VerifyOptions | null {
  const verify = flagsToVerifyOptions(options);
  if (!verify) return null;
  try {
    checkVerifyOptions(verify);
  } catch (error) {
    if (error instanceof TypeError) throw new InvalidArgumentError(error.message);
    throw error;
  }
  return verify;
}

function flagsToVerifyOptions(options: ReceiverOptions): VerifyOptions | null {
  if (options.publicKey || options.scheme === "ed25519") {
    if (!options.publicKey) throw new InvalidArgumentError("--scheme ed25519 verifies with the endpoint's public key: pass --public-key whpk_…");
    if (options.secret) throw new InvalidArgumentError("--public-key (ed25519) and --secret (HMAC) verify different schemes: pass one of them");
    if (options.scheme === "hmac-sha256") throw new InvalidArgumentError("--public-key verifies the ed25519 scheme, not hmac-sha256");
    return { scheme: "ed25519", publicKey: options.publicKey, toleranceSeconds: options.tolerance };
  }
  if (!options.secret) return null;
  if (options.scheme === "hmac-sha256") {
    return { scheme: "hmac-sha256", secret: options.secret, header: options.signatureHeader, prefix: options.signaturePrefix };
  }
  if (options.signatureHeader !== undefined || options.signaturePrefix !== undefined) {
    throw new InvalidArgumentError("--signature-header and --signature-prefix apply to --scheme hmac-sha256 only");
  }
  return { scheme: "standard", secret: options.secret, toleranceSeconds: options.tolerance };
}

function summary(options: ReceiverOptions): string {
  const scheme = options.publicKey ? "ed25519" : options.scheme;
  const parts = [options.secret || options.publicKey ? `verifying ${scheme} signatures` : "not verifying signatures"];
  if (options.failFirst > 0) parts.push(`failing the first ${options.failFirst} with ${options.failStatus}`);
  parts.push(`answering ${options.status}`);
  if (options.delay > 0) parts.push(`after ${options.delay} ms`);
  return parts.join(", ");
}

program.parseAsync().catch((error: Error) => {
  console.error(`error: ${error.message}`);
  process.exit(error instanceof InvalidArgumentError ? 2 : 1);
});
