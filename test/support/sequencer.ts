import { BaseSequencer, type TestSpecification } from "vitest/node";

/**
 * Test files that spend minutes waiting on real time, not on the CPU: the crash test waits for the
 * sweeper's floor of SWEEP_STUCK_AFTER_SECONDS (181 s). Without a record of earlier runs (a clean
 * clone, as in CI) vitest orders files by size, which would start this small file last and let its
 * wait add minutes at the end of the suite; started first, its wait overlaps the other files.
 */
const LONG_WAITS = ["test/node/dev-recovery.test.ts"];

/** vitest's order (projects, earlier failures, durations or sizes), with the long waits first. */
export class LongWaitsFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const waits = (spec: TestSpecification) => LONG_WAITS.some((file) => spec.moduleId.endsWith(file));
    return [...sorted.filter(waits), ...sorted.filter((spec) => !waits(spec))];
  }
}
