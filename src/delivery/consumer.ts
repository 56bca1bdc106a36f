import { realPorts } from "./real-ports";
import { runBatch } from "./run-batch";

/** Clock and randomness of a consumer run; tests move the clock and fix the jitter. */
export interface ConsumeOptions {
  /** Epoch ms now; Date.now by default. */
  clock?: () => number;
  /** Uniform in [0, 1), for retry jitter; Math.random by default. */
  random?: () => number;
  /**
   * The queue handler's ctx.waitUntil, for handed-off requests. Without it the consumer waits for
   * them itself before it resolves (as tests that read the results afterwards need).
   */
  waitUntil?: (work: Promise<unknown>) => void;
}

/**
 * The delivery queue consumer for a batch of either lane: the stages of src/delivery/run-batch.ts
 * wired to the Worker's bindings (src/delivery/real-ports.ts). Resolves once every message is
 * settled and, without `options.waitUntil`, every handed-off request recorded.
 */
export async function consumeDeliveries(batch: MessageBatch<unknown>, env: Env, options: ConsumeOptions = {}): Promise<void> {
  const pending: Array<Promise<unknown>> = [];
  const ports = realPorts(env, {
    clock: options.clock ?? Date.now,
    random: options.random ?? Math.random,
    waitUntil: options.waitUntil ?? ((work) => pending.push(work)),
  });
  await runBatch(batch.messages, batch.queue, ports);
  await Promise.all(pending);
}
