// The Worker `npm run bench` runs (`wrangler dev bench/worker.ts`, with wrangler.toml's bindings):
// Edgehook's own handlers from src/index.ts, each invocation given its D1, KV and queue bindings
// behind counting proxies (bench/instrument.ts), plus `GET /_bench/counters` for the totals and
// `GET /_bench/storage` for the size and message count of every D1 database and the payload
// objects in R2 (bench/storage.ts). The production entry has none of this.
//
// The counting proxies sit beneath fault injection (src/index.ts wraps the env it is given), so a
// call an injected fault refuses never reaches them. Under fault injection each consumer
// invocation also plays an invocation in another isolate: it starts with no secret decrypted, so
// it reads KV, where injected failures and lag can meet it (one local isolate would otherwise serve
// every secret from the copy its own writes left in memory).
import edgehook from "../src/index.ts";
import { forgetCachedSecrets } from "../src/secrets.ts";

export { EndpointLimiter } from "../src/index.ts";
import { counted, COUNTERS_PATH, snapshot } from "./instrument.ts";
import { STORAGE_PATH, storageReport } from "./storage.ts";

export default {
  fetch(request, env, ctx) {
    const { pathname } = new URL(request.url);
    if (pathname === COUNTERS_PATH) return Response.json(snapshot());
    if (pathname === STORAGE_PATH) return storageReport(env).then((report) => Response.json(report));
    return counted("api", env, 0, (e) => Promise.resolve(edgehook.fetch(request, e, ctx)));
  },

  queue(batch, env) {
    if ((env as { EDGEHOOK_FAULTS?: string }).EDGEHOOK_FAULTS) forgetCachedSecrets();
    const kind = batch.queue.endsWith("-dlq") ? "deadLetters" : "consumer";
    return counted(kind, env, batch.messages.length, (e) => edgehook.queue(batch, e));
  },

  scheduled(controller, env) {
    return counted("sweeper", env, 0, (e) => edgehook.scheduled(controller, e));
  },
} satisfies ExportedHandler<Env>;
