import { Hono } from "hono";
import { verifyWebhookMiddleware } from "edgehook/verify";

type Env = { Bindings: { WEBHOOK_SECRET: string } };

const app = new Hono<Env>();

// Deliveries that fail verification are answered 401 and never reach the handler.
app.post("/webhooks", verifyWebhookMiddleware((c) => ({ secret: c.env.WEBHOOK_SECRET })), async (c) => {
  const { id, payload } = c.get("webhook");
  // `id` is the same on every retry of a message: use it to process each message once.
  console.log(`delivery of message ${id}`, payload);
  return c.body(null, 204);
});

export default app;
