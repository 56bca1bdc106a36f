import { tmpdir } from "node:os";
import path from "node:path";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";
import { unstable_readConfig } from "wrangler";
import { ISOLATED_TESTS } from "./test/support/isolated-tests";
import { TEST_QUEUE_BATCH_TIMEOUT_SECONDS } from "./test/support/queue-batch-timeout";

// Five projects: "unit" runs pure modules and the consumer's orchestration in Node with fake
// clocks and in-memory ports, in milliseconds; "workers" runs inside workerd against miniflare's
// real D1, KV and Queues, its files sharing a runtime; "workers-isolated" is "workers" with a fresh
// runtime and storage per file (test/support/isolated-tests.ts); "node" runs tools that live outside
// the Worker (CLI, receiver, browser) against a relay started with `wrangler dev`; "network" is
// "workers" with workerd's own network.

/** Tests whose Worker reaches 127.0.0.1 over real TCP rather than through the test proxy. */
const REAL_NETWORK_TESTS = ["test/network-errors.test.ts"];

/**
 * wrangler.toml's queue consumers as miniflare options, with every batch timeout cut to
 * `batchTimeoutSeconds`: a test waits for queue hops, and under the configured 1 s each hop waits
 * out the timeout whenever a batch is not full. The rest (size, retries, delays, dead-letter queue)
 * stays as deployed. wrangler's declaration of the config type points at a package it bundles, so the
 * fields read are named here.
 */
function queueConsumersWith(batchTimeoutSeconds: number) {
  const config: {
    queues: { consumers?: Array<{ queue: string; max_batch_size?: number; max_retries?: number; retry_delay?: number; dead_letter_queue?: string }> };
  } = unstable_readConfig({ config: "./wrangler.toml" }, { hideWarnings: true });
  return Object.fromEntries((config.queues.consumers ?? []).map((c) => [c.queue, {
    maxBatchSize: c.max_batch_size,
    maxBatchTimeout: batchTimeoutSeconds,
    maxRetries: c.max_retries,
    retryDelay: c.retry_delay,
    deadLetterQueue: c.dead_letter_queue,
  }]));
}

// Every Node the tests spawn (the CLI, the receiver, wrangler, `npm run dev`) keeps its compiled code in
// one cache across the run and across runs: a CLI command starts in ~0.4 s instead of ~1.1 s, and the
// node project spawns hundreds. Node checks each entry against the source, so a stale one is never used.
process.env.NODE_COMPILE_CACHE ??= path.join(tmpdir(), "edgehook-node-compile-cache");

export default defineConfig(async () => {
  const migrations = (set: string) => readD1Migrations(path.join(import.meta.dirname, "migrations", set));
  const [controlMigrations, shardMigrations] = await Promise.all([migrations("control"), migrations("shard")]);
  // Tests never reach the internet: only the loopback receiver is passed through.
  const loopbackOnly = async (request: Request) => {
    const { hostname } = new URL(request.url);
    if (hostname !== "127.0.0.1" && hostname !== "localhost") {
      return new Response(`test network: ${hostname} is not reachable`, { status: 599 });
    }
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    const response = await fetch(request.url, {
      method: request.method,
      headers: request.headers,
      body: hasBody ? await request.arrayBuffer() : undefined,
      redirect: "manual",
    });
    return new Response(response.body, { status: response.status, headers: response.headers });
  };
  /**
   * A workerd project with its own outbound network for the Worker's fetch (undefined: workerd's own);
   * `isolate` false lets its files share one runtime and its storage per vitest worker.
   */
  const workerdProject = (name: string, include: string[], exclude: string[], outboundService: typeof loopbackOnly | undefined, isolate = true) => (
    {
      plugins: [
        cloudflareTest({
          wrangler: { configPath: "./wrangler.toml" },
          miniflare: {
            bindings: {
              ADMIN_TOKEN: "test-admin-token",
              MASTER_KEY: "1:dGVzdC1tYXN0ZXIta2V5LTMyLWJ5dGVzLWxvbmchISE=",
              ALLOW_PRIVATE_TARGETS: "true",
              REQUIRE_HTTPS: "false",
              DOH_URL: "",
              TEST_CONTROL_MIGRATIONS: controlMigrations,
              TEST_SHARD_MIGRATIONS: shardMigrations,
            },
            outboundService,
            queueConsumers: queueConsumersWith(TEST_QUEUE_BATCH_TIMEOUT_SECONDS),
            // A deliberately tight limiter that the rate-limiting test swaps in for API_RATE_LIMITER.
            ratelimits: { TEST_TIGHT_RATE_LIMITER: { namespace_id: "9001", simple: { limit: 3, period: 60 } } },
          },
        }),
      ],
      // The tests' bundle is a local build, like `npm run dev`'s (src/faults/env.ts, lock 2).
      define: { EDGEHOOK_LOCAL_BUILD: "true" },
      test: {
        name,
        include,
        exclude,
        globalSetup: ["./test/support/receiver-setup.ts"],
        setupFiles: ["./test/support/apply-migrations.ts"],
        isolate,
        testTimeout: 30_000,
        hookTimeout: 30_000,
      },
    }
  );
  return {
    test: {
      // Most of a test's time is waiting on workerd, queues, receivers or a relay rather than on the
      // CPU, so three files at a time finish well before one (vitest's default here is cores - 1).
      maxWorkers: 3,
      projects: [
        // Files that make their own tenants and read only those share a runtime; the ones whose checks
        // depend on the whole database or the isolate's state get a fresh one (test/support/isolated-tests.ts).
        workerdProject("workers", ["test/**/*.test.ts"], ["test/node/**", "test/unit/**", ...REAL_NETWORK_TESTS, ...ISOLATED_TESTS], loopbackOnly, false),
        workerdProject("workers-isolated", ISOLATED_TESTS, [], loopbackOnly),
        // workerd's own network, as `wrangler dev` has: a refused connection fails the Worker's fetch as in
        // production, where the test proxy above would turn it into a 500 answer. Its tests call 127.0.0.1 only.
        workerdProject("network", REAL_NETWORK_TESTS, [], undefined),
        {
          test: {
            name: "unit",
            include: ["test/unit/**/*.test.ts"],
            environment: "node",
            // Pure modules with in-memory ports and fake clocks that each test resets: one process
            // for all the files spares a fork and a fresh import per file.
            isolate: false,
          },
        },
        {
          test: {
            name: "node",
            include: ["test/node/**/*.test.ts"],
            environment: "node",
            // One relay under `wrangler dev` for the files that need only "a relay"; a file that needs
            // its own state or flags starts its own (scripts/local-relay.ts).
            globalSetup: ["./test/node/support/relay-setup.ts"],
            testTimeout: 60_000,
            hookTimeout: 120_000,
          },
        },
      ],
    },
  };
});
