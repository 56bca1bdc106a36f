import { buildApp } from "./app";
import { withRetryingD1 } from "./db/transient";
import { consumeDeadLetters } from "./delivery/dead-letter";
import { consumeDeliveries } from "./delivery/consumer";
import { sweep } from "./delivery/sweeper";

export { EndpointLimiter } from "./delivery/endpoint-limiter";

const app = buildApp();

/**
 * Edgehook's Worker: the HTTP API, the delivery and dead-letter queue consumers, and the cron sweeper.
 * The queue and cron handlers run with a D1 binding that retries transient failures once where safe
 * (src/db/transient.ts): a consumer batch whose record step is refused as busy would otherwise be
 * sent again whole.
 */
export default {
  fetch(request, env, ctx) {
    return app.fetch(request, env, ctx);
  },

  async queue(batch, env, ctx?: ExecutionContext) {
    if (batch.queue.endsWith("-dlq")) await consumeDeadLetters(batch, withRetryingD1(env));
    // A request handed off by a main-lane batch finishes under waitUntil; with wrangler.toml's
    // queue_consumer_no_wait_for_wait_until the queue hands out the next batch meanwhile. (Without a
    // ctx, as when a test calls the handler, the consumer waits for it itself.)
    else await consumeDeliveries(batch, withRetryingD1(env), ctx && { waitUntil: (work) => ctx.waitUntil(work) });
  },

  async scheduled(controller, env) {
    const report = await sweep(withRetryingD1(env), controller.scheduledTime);
    if (report.requeued || report.disabledEndpoints || report.purgedMessages) console.log("sweep", report);
    // The other shards were swept; failing the run marks it in Cron Events, where an operator looks.
    if (report.failedShards.length > 0) throw new Error(`sweep failed on data shard(s) ${report.failedShards.join(", ")}`);
  },
} satisfies ExportedHandler<Env>;
