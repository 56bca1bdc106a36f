import type { D1Migration } from "cloudflare:test";

declare global {
  namespace Cloudflare {
    interface Env {
      TEST_CONTROL_MIGRATIONS: D1Migration[];
      TEST_SHARD_MIGRATIONS: D1Migration[];
      TEST_TIGHT_RATE_LIMITER: RateLimit;
    }
  }
}

declare module "vitest" {
  interface ProvidedContext {
    receiverUrl: string;
    /** A loopback URL where nothing listens: connections to it are refused. */
    closedPortUrl: string;
  }
}
