import { buildApp } from "./app";
import { consumeDeadLetters } from "./delivery/dead-letter";
import { consumeDeliveries } from "./delivery/consumer";
import { sweep } from "./delivery/sweeper";

const app = buildApp();

/** Edgehook's Worker: the HTTP API, the delivery and dead-letter queue consumers, and the cron sweeper. */
export default {
  fetch(request, env, ctx) {
    return app.fetch(request, env, ctx);
  },

  async queue(batch, env) {
    if (batch.queue.endsWith("-dlq")) await consumeDeadLetters(batch, env);
    else await consumeDeliveries(batch, env);
  },

  async scheduled(controller, env) {
    const report = await sweep(env, controller.scheduledTime);
    if (report.requeued || report.disabledEndpoints || report.purgedMessages) console.log("sweep", report);
  },
} satisfies ExportedHandler<Env>;
