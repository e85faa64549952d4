import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../vitest.shared.js';

// The end-to-end files are isolated from one another (each starts its own processes on a fresh
// database and a prefixed topology; the faults that stop a broker or PostgreSQL use servers of
// their own), and most of their time is spent waiting out a fault (heartbeats, an outage, a
// restart): two files at a time halve the suite's wall time on a two-core machine.
export default defineConfig({
  ...sharedTestConfig,
  test: {
    ...sharedTestConfig.test,
    projects: sharedTestConfig.test!.projects!.map((project) =>
      typeof project === 'object' && 'test' in project && project.test?.name === 'integration'
        ? {
            ...project,
            // A group of its own (after the unit tests): projects of one group share a worker count.
            test: { ...project.test, fileParallelism: true, maxWorkers: 2, sequence: { groupOrder: 1 } },
          }
        : project,
    ),
  },
});
