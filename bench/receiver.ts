// The bench's webhook receiver, run as its own process (so it does not share an event loop with
// the load generator) and listening on 127.0.0.1 only. It prints `listening <port>` once ready.
//
//   POST /ok/{run}           200
//   POST /fail-first/{run}   500 the first time a webhook-id arrives, 200 after
//   POST /hang/{run}         never answers (the relay's timeout ends the request); not recorded
//   POST /turn/{run}         200 to the first request of the run, then never answers; not recorded
//   GET  /_count/{run}       how many messages of that run got a 200 so far: {"delivered": n}
//   GET  /_report/{run}      what arrived for that run, as JSON (see RunReport)
//
// Every request is recorded by its webhook-id (the message id, the same on every attempt) with the
// time it arrived and the `sent_at` the bench put in the payload when it sent the enqueue request.
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One message as the receiver saw it: every attempt's arrival time and status answered. */
export interface Arrival {
  sentAt: number | null;
  attempts: Array<{ at: number; status: number }>;
}

/** What the receiver reports for one run. */
export interface RunReport {
  requests: number;
  messages: Record<string, Arrival>;
}

const runs = new Map<string, Map<string, Arrival>>();
const delivered = new Map<string, number>();
/** Runs of /turn/ whose one quick answer was given. */
const turned = new Set<string>();

function sentAtOf(body: string): number | null {
  // The bench's payloads start with {"sent_at":<ms>, so the big padding need not be parsed.
  const match = /^\{"sent_at":(\d+)/.exec(body);
  return match ? Number(match[1]) : null;
}

function record(run: string, id: string, body: string, at: number, status: number): void {
  const messages = runs.get(run) ?? new Map<string, Arrival>();
  runs.set(run, messages);
  const arrival = messages.get(id) ?? { sentAt: sentAtOf(body), attempts: [] };
  if (status === 200 && !arrival.attempts.some((a) => a.status === 200)) delivered.set(run, (delivered.get(run) ?? 0) + 1);
  arrival.attempts.push({ at, status });
  messages.set(id, arrival);
}

async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
  const at = Date.now();
  const [kind, run] = (req.url ?? "/").split("/").filter(Boolean);
  if (req.method === "GET" && kind === "_count" && run) {
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ delivered: delivered.get(run) ?? 0 }));
    return;
  }
  if (req.method === "GET" && kind === "_report" && run) {
    const messages = runs.get(run) ?? new Map();
    let requests = 0;
    for (const m of messages.values()) requests += m.attempts.length;
    res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ requests, messages: Object.fromEntries(messages) }));
    return;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const id = req.headers["webhook-id"];
  if (req.method === "POST" && kind === "hang") return;
  if (req.method === "POST" && kind === "turn" && run) {
    if (turned.has(run)) return;
    turned.add(run);
    res.writeHead(200).end("ok, and never again");
    return;
  }
  if (req.method !== "POST" || !run || typeof id !== "string" || (kind !== "ok" && kind !== "fail-first")) {
    res.writeHead(404).end();
    return;
  }
  const firstTime = !runs.get(run)?.has(id);
  const status = kind === "fail-first" && firstTime ? 500 : 200;
  record(run, id, Buffer.concat(chunks).toString("utf8"), at, status);
  res.writeHead(status, { "content-type": "text/plain" }).end(status === 200 ? "ok" : "failing the first attempt");
}

const server = createServer((req, res) => void handle(req, res));
server.keepAliveTimeout = 30_000;
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`listening ${(server.address() as AddressInfo).port}\n`);
});
// Stop with the bench: when its stdin closes, or on a signal.
process.stdin.resume();
process.stdin.on("end", () => process.exit(0));
process.on("SIGTERM", () => process.exit(0));
