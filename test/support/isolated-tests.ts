/**
 * The workerd test files that run in a workerd of their own, with storage no other file has written
 * (vitest.config.ts, project "workers-isolated"). Every other workerd file shares one runtime per
 * vitest worker with the files before it (`isolate: false`): a fresh runtime costs ~2 s of start-up
 * per file, most of it in vitest's one main process, which a run of 76 files waited on.
 *
 * A file belongs here when what it checks depends on the whole database or on the isolate's state:
 * it runs the sweeper or an upkeep pass (they walk every tenant's rows, and other files' deliveries
 * would be swept, re-armed or counted), measures the database (size, rows read by a whole pass),
 * reads across tenants (the operator view), or injects platform faults (per-isolate state).
 * test/node/isolated-tests.test.ts fails when a file that does one of these is missing from the list.
 */
export const ISOLATED_TESTS = [
  "test/api-under-faults.test.ts",
  "test/bounded-upkeep.test.ts",
  "test/concurrency.test.ts",
  "test/consumer-under-faults.test.ts",
  "test/dashboard-operator.test.ts",
  "test/delivery-lanes.test.ts",
  "test/endpoint-isolation.test.ts",
  "test/endpoint-stats.test.ts",
  "test/fault-injection.test.ts",
  "test/fault-spec.test.ts",
  "test/fifo-delivery.test.ts",
  "test/operational-webhooks.test.ts",
  "test/payload-purges.test.ts",
  "test/query-plans.test.ts",
  "test/reads-at-volume.test.ts",
  "test/scheduled-messages.test.ts",
  "test/secrets-under-lag.test.ts",
  "test/shards-routing.test.ts",
  "test/storage-footprint.test.ts",
  "test/sweep-budget.test.ts",
  "test/sweeper.test.ts",
  "test/tenant-deletion-under-caps.test.ts",
  "test/upkeep-many-endpoints.test.ts",
];

/**
 * What in a test file's source marks it as one that must run isolated (see ISOLATED_TESTS): the
 * sweeper (through test/support/worker.ts's sweepHeld or cronWith, the scheduled handler, or src/delivery/sweeper itself),
 * an upkeep pass, fault injection, the operator view, a database's size.
 */
export const NEEDS_ISOLATION = /sweepHeld|cronWith|\.scheduled\(|sweepShard|delivery\/sweeper|support\/upkeep|src\/faults\/|EDGEHOOK_FAULTS|dashboard\/operator|size_after/;
