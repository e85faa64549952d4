/** Vitest settings every package shares: a fast unit project and a serial integration project. */
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
          // Integration tests share one broker and one PostgreSQL server and some of them
          // restart the broker: files run one after another.
          fileParallelism: false,
          testTimeout: 120_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
};
