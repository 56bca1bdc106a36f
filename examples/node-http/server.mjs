import { createServer } from "node:http";
import { verifyDelivery, WebhookVerificationError } from "edgehook/verify";

const secret = process.env.WEBHOOK_SECRET;
if (!secret) throw new Error("Set WEBHOOK_SECRET to the endpoint's signing secret (whsec_…)");

async function readBody(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return Buffer.concat(chunks);
}

const server = createServer(async (req, res) => {
  if (req.method !== "POST" || req.url !== "/webhooks") {
    res.writeHead(404).end();
    return;
  }
  try {
    const { id, payload } = await verifyDelivery(await readBody(req), req.headers, { secret });
    // `id` is the same on every retry of a message: use it to process each message once.
    console.log(`delivery of message ${id}`, payload);
    res.writeHead(204).end();
  } catch (error) {
    const refused = error instanceof WebhookVerificationError;
    if (!refused) console.error(error);
    res.writeHead(refused ? 401 : 500, { "content-type": "application/json" });
    res.end(JSON.stringify({ error: refused ? { code: error.code, message: error.message } : { code: "internal_error" } }));
  }
});

const port = Number(process.env.PORT ?? 3000);
server.listen(port, "127.0.0.1", () => console.log(`Node receiver on http://127.0.0.1:${port}/webhooks`));
