import { createPublicKey, verify } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { answerDnsQuery } from "./fake-doh";

/** What the receiver saw of one request. */
export interface ReceivedRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body: string;
  at: number;
}

/**
 * A real HTTP receiver for end-to-end delivery tests, listening on 127.0.0.1. Its behaviour is
 * chosen by path, and every request is recorded under a bucket the test names:
 *   /ok/{bucket}                  200
 *   /status/{code}/{bucket}       that status
 *   /fail/{n}/{bucket}            500 for the first n requests, then 200
 *   /hang/{bucket}                never answers
 *   /hold/{n}/{bucket}            the first n requests wait until released; later ones get 200 at once
 *   /redirect/{bucket}            302 to /redirect-target/{bucket}
 *   /retry-after/{s}/{bucket}     429 with Retry-After: s
 *   GET /_received/{bucket}       the recorded requests, as JSON
 *   GET /_release/{bucket}/{code} answers every request held in the bucket with that status
 *   GET /_verify-ed25519/{bucket}?public_key=whpk_…
 *                                 for each recorded request, whether each of its `v1a` signatures
 *                                 verifies with Node's own crypto.verify (OpenSSL, independent of
 *                                 the Web Crypto that signed it in workerd)
 *   GET /dns-query?name=&type=    a fake DNS-over-HTTPS server (see fake-doh.ts), not recorded
 */
export async function startReceiver(): Promise<{ url: string; close: () => Promise<void> }> {
  const received = new Map<string, ReceivedRequest[]>();
  const hanging = new Set<ServerResponse>();
  const held = new Map<string, ServerResponse[]>();
  const dnsQueries = new Map<string, number>();

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const path = req.url ?? "/";
    const parts = path.split("/").filter(Boolean);
    if (req.method === "GET" && parts[0] === "_received") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(received.get(parts[1]!) ?? []));
      return;
    }
    if (req.method === "GET" && parts[0] === "_verify-ed25519") {
      const publicKey = new URL(path, "http://receiver").searchParams.get("public_key") ?? "";
      const results = (received.get(parts[1]!.split("?")[0]!) ?? []).map((request) => verifiedByNode(request, publicKey));
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(results));
      return;
    }
    if (req.method === "GET" && parts[0] === "_release") {
      for (const waiting of held.get(parts[1]!) ?? []) {
        hanging.delete(waiting);
        waiting.writeHead(Number(parts[2])).end(`released with ${parts[2]}`);
      }
      held.delete(parts[1]!);
      res.writeHead(204).end();
      return;
    }
    if (req.method === "GET" && path.startsWith("/dns-query?")) {
      const query = new URL(path, "http://receiver").searchParams;
      const { status, body } = answerDnsQuery(query.get("name") ?? "", query.get("type") ?? "", dnsQueries);
      res.writeHead(status, { "content-type": "application/dns-json" }).end(JSON.stringify(body));
      return;
    }
    const bucket = parts[parts.length - 1]!;
    const log = received.get(bucket) ?? [];
    log.push({
      method: req.method ?? "",
      path,
      headers: Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, String(v)])),
      body: Buffer.concat(chunks).toString("utf8"),
      at: Date.now(),
    });
    received.set(bucket, log);
    switch (parts[0]) {
      case "ok":
      case "redirect-target":
        res.writeHead(200, { "content-type": "text/plain" }).end("thanks");
        return;
      case "status":
        res.writeHead(Number(parts[1]), { "content-type": "text/plain" }).end(`status ${parts[1]}`);
        return;
      case "fail":
        if (log.length <= Number(parts[1])) res.writeHead(500).end("temporarily broken");
        else res.writeHead(200).end("recovered");
        return;
      case "hang":
        hanging.add(res);
        return;
      case "hold":
        if (log.length > Number(parts[1])) {
          res.writeHead(200).end("not held");
          return;
        }
        hanging.add(res);
        held.set(bucket, [...(held.get(bucket) ?? []), res]);
        return;
      case "redirect":
        res.writeHead(302, { location: `/redirect-target/${bucket}` }).end();
        return;
      case "retry-after":
        res.writeHead(429, { "retry-after": parts[1] }).end("slow down");
        return;
      default:
        res.writeHead(404).end();
    }
  };

  const server = createServer((req, res) => void handle(req, res));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * Checks a recorded delivery's `v1a` signatures with Node's crypto.verify: for each, whether it is
 * the Ed25519 signature of `{webhook-id}.{webhook-timestamp}.{body}` by `whpk_` public key.
 */
function verifiedByNode(request: ReceivedRequest, whpk: string): { id: string; v1a: boolean[] } {
  const x = Buffer.from(whpk.replace(/^whpk_/, ""), "base64").toString("base64url");
  const key = createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x }, format: "jwk" });
  const id = request.headers["webhook-id"] ?? "";
  const signed = Buffer.from(`${id}.${request.headers["webhook-timestamp"]}.${request.body}`, "utf8");
  const v1a = (request.headers["webhook-signature"] ?? "")
    .split(" ")
    .filter((entry) => entry.startsWith("v1a,"))
    .map((entry) => verify(null, signed, key, Buffer.from(entry.slice(4), "base64")));
  return { id, v1a };
}
