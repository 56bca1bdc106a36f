import { buildApp } from "./app";
import { withRetryingD1 } from "./db/transient";
import { consumeDeadLetters } from "./delivery/dead-letter";
import { consumeDeliveries } from "./delivery/consumer";
import { sweep, SWEEP_RETRIES } from "./delivery/sweeper";
import { faultInjectorFor, faultsResponse, withPlatformFaults } from "./faults/env";
import { FaultSpecError } from "./faults/spec";

export { EndpointLimiter } from "./delivery/endpoint-limiter";

const app = buildApp();

/**
 * The env every handler works with: the Worker's bindings, wrapped by fault injection where a local
 * run asked for it (src/faults/env.ts; never in a deployed Worker).
 * @throws FaultSpecError when a local run's EDGEHOOK_FAULTS cannot be parsed
 */
function platformEnv(env: Env): Env {
  return withPlatformFaults(env, faultInjectorFor(env));
}

/**
 * Edgehook's Worker: the HTTP API, the delivery and dead-letter queue consumers, and the cron sweeper.
 * The queue and cron handlers run with a D1 binding that retries transient failures once where safe
 * (src/db/transient.ts): a consumer batch whose record step is refused as busy would otherwise be
 * sent again whole. Fault injection, when a local run turns it on, sits beneath that retry, where the
 * real bindings are.
 */
export default {
  fetch(request, env, ctx) {
    let injector;
    try {
      injector = faultInjectorFor(env);
    } catch (error) {
      if (!(error instanceof FaultSpecError)) throw error;
      return Response.json({ error: { code: "invalid_fault_spec", message: error.message } }, { status: 500 });
    }
    if (injector && request.method === "GET" && new URL(request.url).pathname === "/__faults") return faultsResponse(injector);
    return app.fetch(request, withPlatformFaults(env, injector), ctx);
  },

  async queue(batch, env, ctx?: ExecutionContext) {
    const platform = withRetryingD1(platformEnv(env));
    if (batch.queue.endsWith("-dlq")) await consumeDeadLetters(batch, platform);
    // A request handed off by a main-lane batch finishes under waitUntil; with wrangler.toml's
    // queue_consumer_no_wait_for_wait_until the queue hands out the next batch meanwhile. (Without a
    // ctx, as when a test calls the handler, the consumer waits for it itself.)
    else await consumeDeliveries(batch, platform, ctx && { waitUntil: (work) => ctx.waitUntil(work) });
  },

  async scheduled(controller, env) {
    const report = await sweep(withRetryingD1(platformEnv(env), SWEEP_RETRIES), controller.scheduledTime);
    if (report.requeued || report.disabledEndpoints || report.purgedMessages) console.log("sweep", report);
    // The other shards were swept; failing the run marks it in Cron Events, where an operator looks.
    if (report.failedShards.length > 0) throw new Error(`sweep failed on data shard(s) ${report.failedShards.join(", ")}`);
  },
} satisfies ExportedHandler<Env>;
