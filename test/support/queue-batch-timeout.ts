/**
 * The queue consumers' batch timeout in tests, in seconds: the workerd projects (vitest.config.ts)
 * and the node project's shared relay (test/node/support/relay-setup.ts) both use it. A test waits
 * for queue hops, and under the deployed 1 s (wrangler.toml) each hop waits out the timeout
 * whenever a batch is not full; batch sizes, retries and dead-letter queues stay as deployed.
 */
export const TEST_QUEUE_BATCH_TIMEOUT_SECONDS = 0.1;
