import { buildApp } from "./app";
import { benchMode, counted, COUNTERS_PATH, snapshot } from "./bench/instrument";
import { consumeDeadLetters } from "./delivery/dead-letter";
import { withRetryingD1 } from "./db/transient";
import { consumeDeliveries } from "./delivery/consumer";
import { sweep } from "./delivery/sweeper";

const app = buildApp();

// Both run with a D1 binding that retries transient failures once where safe (src/db/transient.ts):
// a consumer batch whose record step is refused as busy would otherwise be sent again whole.
async function queue(batch: MessageBatch<unknown>, env: Env): Promise<void> {
  if (batch.queue.endsWith("-dlq")) await consumeDeadLetters(batch, withRetryingD1(env));
  else await consumeDeliveries(batch, withRetryingD1(env));
}

async function scheduled(controller: ScheduledController, env: Env): Promise<void> {
  const report = await sweep(withRetryingD1(env), controller.scheduledTime);
  if (report.requeued || report.disabledEndpoints || report.purgedMessages) console.log("sweep", report);
}

/**
 * Edgehook's Worker: the HTTP API, the delivery and dead-letter queue consumers, and the cron sweeper.
 * With BENCH_INSTRUMENT="true" (only `npm run bench` sets it) each handler's D1, KV and queue calls
 * are counted; see src/bench/instrument.ts.
 */
export default {
  fetch(request, env, ctx) {
    if (!benchMode(env)) return app.fetch(request, env, ctx);
    if (new URL(request.url).pathname === COUNTERS_PATH) return Response.json(snapshot());
    return counted("api", env, 0, (e) => Promise.resolve(app.fetch(request, e, ctx)));
  },

  async queue(batch, env) {
    if (!benchMode(env)) return queue(batch, env);
    const kind = batch.queue.endsWith("-dlq") ? "deadLetters" : "consumer";
    return counted(kind, env, batch.messages.length, (e) => queue(batch, e));
  },

  async scheduled(controller, env) {
    if (!benchMode(env)) return scheduled(controller, env);
    return counted("sweeper", env, 0, (e) => scheduled(controller, e));
  },
} satisfies ExportedHandler<Env>;
