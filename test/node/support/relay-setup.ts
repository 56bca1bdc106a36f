import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import type { TestProject } from "vitest/node";
import { startRelay, type LocalRelay } from "../../../scripts/local-relay";
import { TEST_QUEUE_BATCH_TIMEOUT_SECONDS } from "../../support/queue-batch-timeout";

const ROOT = path.resolve(import.meta.dirname, "../../..");

/**
 * wrangler.toml with every queue consumer's batch timeout cut to TEST_QUEUE_BATCH_TIMEOUT_SECONDS,
 * written beside it (its paths are relative to its folder); everything else is wrangler.toml's.
 * Returns its path.
 */
function quickQueuesConfig(): string {
  // One per run (two runs at once each write their own); .gitignore covers the pattern.
  const file = path.join(ROOT, `.wrangler-test-relay-${process.pid}.toml`);
  const deployed = readFileSync(path.join(ROOT, "wrangler.toml"), "utf8");
  writeFileSync(file, deployed.replace(/^max_batch_timeout = .*$/gm, `max_batch_timeout = ${TEST_QUEUE_BATCH_TIMEOUT_SECONDS}`));
  return file;
}

declare module "vitest" {
  export interface ProvidedContext {
    /** Where a test file asks for the shared relay (see sharedRelay in ./shared-relay.ts). */
    sharedRelayBroker: string;
  }
}

/**
 * The node project's global setup: one relay under `wrangler dev` for the test files that need only
 * "a relay" (each test makes its own tenants), instead of one per file. Test files run in their own
 * processes, so they ask for it over loopback HTTP: the first request starts it, every request
 * answers its origin once it answers (or 500 with why it did not start). A run whose files need no
 * relay starts none. Stopped, its state removed, when the run ends.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  let starting: Promise<LocalRelay> | undefined;
  let config: string | undefined;
  const broker = createServer((_req, res) => {
    starting ??= startRelay({}, { config: (config = quickQueuesConfig()) });
    starting.then(
      (relay) => res.end(relay.url),
      (error: Error) => res.writeHead(500).end(error.message),
    );
  });
  await new Promise<void>((resolve) => broker.listen(0, "127.0.0.1", resolve));
  project.provide("sharedRelayBroker", `http://127.0.0.1:${(broker.address() as AddressInfo).port}`);
  return async () => {
    broker.close();
    const relay = await starting?.catch(() => undefined);
    await relay?.stop();
    if (config) rmSync(config, { force: true });
  };
}
