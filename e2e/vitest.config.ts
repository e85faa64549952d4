import { BaseSequencer, type TestSpecification } from 'vitest/node';
import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../vitest.shared.js';

/**
 * Files whose setup dominates their time (a three-node cluster to form, heartbeats to miss, brokers
 * and processes to kill and restart): started first, so that two at a time the run does not end
 * with one of them alone. Without a cache of earlier durations (a fresh CI checkout) vitest orders
 * by file size, which put the cluster's two minutes last.
 */
const SLOW_FIRST = [
  'cluster.int.test.ts',
  'process-faults.int.test.ts',
  'event-loop.int.test.ts',
  'broker-faults.int.test.ts',
];

class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const sorted = await super.sort(files);
    const rank = (file: TestSpecification) => {
      const index = SLOW_FIRST.findIndex((name) => file.moduleId.endsWith(`/${name}`));
      return index === -1 ? SLOW_FIRST.length : index;
    };
    // Stable: the other files keep vitest's order.
    return sorted
      .map((file, i) => ({ file, i }))
      .sort((a, b) => rank(a.file) - rank(b.file) || a.i - b.i)
      .map((x) => x.file);
  }
}

// Private RabbitMQ nodes of a test run that died are killed before this one starts.
export default defineConfig(
  mergeConfig(sharedTestConfig, {
    test: { globalSetup: ['./src/sweep-brokers.ts'], sequence: { sequencer: SlowFirst } },
  }),
);
