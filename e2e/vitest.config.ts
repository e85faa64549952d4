import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../vitest.shared.js';

// Private RabbitMQ nodes of a test run that died are killed before this one starts.
export default defineConfig(
  mergeConfig(sharedTestConfig, { test: { globalSetup: ['./src/sweep-brokers.ts'] } }),
);
