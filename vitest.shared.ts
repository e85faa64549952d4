/** Vitest settings every package shares: a fast unit project and an integration project, two files at a time. */
import type { ViteUserConfig } from 'vitest/config';

export const sharedTestConfig: ViteUserConfig = {
  test: {
    passWithNoTests: false,
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['src/**/*.test.{ts,tsx}', 'scripts/**/*.test.ts'],
          exclude: ['src/**/*.int.test.{ts,tsx}', 'node_modules/**', 'dist/**'],
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['src/**/*.int.test.{ts,tsx}'],
          // Integration files are isolated from one another: each makes its own database and a
          // prefixed topology on the shared servers, and the faults that stop or restart a broker
          // or PostgreSQL do it to servers of their own (PrivateBroker, PrivatePostgres). Most of
          // their time is spent waiting (for a broker, a heartbeat, an outage to end): two files
          // at a time cut the wall time by a third on a two-core machine. A group of its own,
          // after the unit tests, since projects of one group share one worker count.
          fileParallelism: true,
          maxWorkers: 2,
          sequence: { groupOrder: 1 },
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
};
