import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { verifyWebhook, WebhookVerificationError, type VerifyOptions } from "../../src/verify/index.ts";

/** How the sink answers. */
export interface SinkBehaviour {
  /** Status of every answer that is not a deliberate failure. */
  status: number;
  /** Answer the first `failFirst` deliveries with `failStatus`. */
  failFirst: number;
  failStatus: number;
  /** Wait this long before answering. */
  delayMs: number;
  /** Answer 401 when a signature does not verify (otherwise it is only reported). */
  rejectInvalid: boolean;
}

/** What verification made of a delivery. */
export type Verification =
  | { result: "unchecked" }
  | { result: "valid"; scheme: string; id: string; timestamp: string }
  | { result: "invalid"; code: string; message: string };

/** One delivery the sink took, and how it is answering. */
export interface Delivery {
  event: "delivery";
  number: number;
  received_at: string;
  method: string;
  path: string;
  headers: Array<[string, string]>;
  body: string;
  verification: Verification;
  status: number;
  reason: string;
  delay_ms: number;
}

/** The sender closed the connection before the (delayed) answer was sent. */
export interface HangUp {
  event: "hangup";
  number: number;
  waited_ms: number;
}

export type SinkEvent = Delivery | HangUp;

/** The status a delivery gets, and why, in plain words. */
export function chooseAnswer(number: number, verification: Verification, behaviour: SinkBehaviour): { status: number; reason: string } {
  if (behaviour.rejectInvalid && verification.result === "invalid") {
    return { status: 401, reason: "signature did not verify (--reject-invalid)" };
  }
  if (number <= behaviour.failFirst) {
    return { status: behaviour.failStatus, reason: `failing delivery ${number} of the first ${behaviour.failFirst} on purpose (--fail-first)` };
  }
  return { status: behaviour.status, reason: behaviour.status < 300 ? "accepted" : "answering the chosen status (--status)" };
}

async function verify(body: Buffer, req: IncomingMessage, options: VerifyOptions | null): Promise<Verification> {
  if (!options) return { result: "unchecked" };
  try {
    const verified = await verifyWebhook(body, req.headers, options);
    return { result: "valid", scheme: verified.scheme, id: verified.id, timestamp: verified.timestamp.toISOString() };
  } catch (error) {
    if (error instanceof WebhookVerificationError) return { result: "invalid", code: error.code, message: error.message };
    throw error;
  }
}

function headerPairs(raw: string[]): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (let i = 0; i + 1 < raw.length; i += 2) pairs.push([raw[i]!, raw[i + 1]!]);
  return pairs;
}

/**
 * Starts the sink on `host:port`. Every POST is a delivery: it is verified (when `verify` is
 * given), reported, and answered after the configured delay. Other methods get a short hint.
 */
export async function startSink(
  config: { host: string; port: number; verify: VerifyOptions | null; behaviour: SinkBehaviour },
  report: (event: SinkEvent) => void,
): Promise<{ url: string; close: () => Promise<void> }> {
  let count = 0;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== "POST") {
      res.writeHead(200, { "content-type": "text/plain" }).end("Edgehook local receiver: POST webhooks to any path here.\n");
      return;
    }
    const number = ++count;
    const body = Buffer.concat(chunks);
    const verification = await verify(body, req, config.verify);
    const { status, reason } = chooseAnswer(number, verification, config.behaviour);
    report({
      event: "delivery",
      number,
      received_at: new Date().toISOString(),
      method: req.method,
      path: req.url ?? "/",
      headers: headerPairs(req.rawHeaders),
      body: body.toString("utf8"),
      verification,
      status,
      reason,
      delay_ms: config.behaviour.delayMs,
    });
    if (config.behaviour.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, config.behaviour.delayMs));
    if (res.destroyed || req.socket.destroyed) {
      report({ event: "hangup", number, waited_ms: config.behaviour.delayMs });
      return;
    }
    res.writeHead(status, { "content-type": "text/plain" }).end(`${reason}\n`);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((error: Error) => {
      console.error(`receiver error: ${error.message}`);
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(config.port, config.host, resolve);
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(":") ? `[${address}]` : address;
  return {
    url: `http://${host}:${port}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
