import express from "express";
import { verifyWebhook, WebhookVerificationError } from "edgehook/verify";

const secret = process.env.WEBHOOK_SECRET;
if (!secret) throw new Error("Set WEBHOOK_SECRET to the endpoint's signing secret (whsec_…)");

const app = express();

// The signature covers the exact bytes, so take the body raw: not through express.json().
app.post("/webhooks", express.raw({ type: "*/*" }), async (req, res) => {
  let delivery;
  try {
    delivery = await verifyWebhook(req.body, req.headers, { secret });
  } catch (error) {
    if (!(error instanceof WebhookVerificationError)) throw error;
    res.status(401).json({ error: { code: error.code, message: error.message } });
    return;
  }
  const payload = JSON.parse(req.body.toString("utf8"));
  // delivery.id is the same on every retry of a message: use it to process each message once.
  console.log(`delivery of message ${delivery.id}`, payload);
  res.sendStatus(204);
});

const port = Number(process.env.PORT ?? 3000);
app.listen(port, "127.0.0.1", () => console.log(`Express receiver on http://127.0.0.1:${port}/webhooks`));
