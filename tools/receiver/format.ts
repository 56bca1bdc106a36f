import { indentJson } from "../../src/lib/json-text.ts";
import type { Delivery, SinkEvent } from "./sink.ts";

/** The body as indented JSON when it is JSON (numbers and escapes as sent), else as it came. */
function prettyBody(body: string): string {
  if (body === "") return "(empty body)";
  try {
    JSON.parse(body);
  } catch {
    return body;
  }
  return indentJson(body);
}

function verificationLine(delivery: Delivery): string {
  const v = delivery.verification;
  if (v.result === "unchecked") return "signature: not checked (start the receiver with --secret, or --public-key for ed25519, to verify)";
  if (v.result === "valid") return `signature: valid (${v.scheme}, webhook-id ${v.id}, signed ${v.timestamp})`;
  return `signature: INVALID (${v.code}) ${v.message}`;
}

function answerLine(delivery: Delivery): string {
  const delay = delivery.delay_ms > 0 ? ` after ${delivery.delay_ms} ms` : "";
  return `answer: ${delivery.status}${delay}: ${delivery.reason}`;
}

/** A delivery or hang-up as the block of text a person reads in the terminal. */
export function formatEvent(event: SinkEvent): string {
  if (event.event === "hangup") return `#${event.number} the sender hung up before the answer (waited ${event.waited_ms} ms)\n`;
  const indent = (text: string) => text.replace(/^/gm, "  ");
  const headers = event.headers.map(([name, value]) => `${name}: ${value}`).join("\n");
  return [
    `── #${event.number} ${event.method} ${event.path}  ${event.received_at}`,
    indent(headers),
    "",
    indent(prettyBody(event.body)),
    "",
    indent(verificationLine(event)),
    indent(answerLine(event)),
    "",
    "",
  ].join("\n");
}
