import { defineConfig, mergeConfig } from 'vitest/config';
import { sharedTestConfig } from '../vitest.shared.js';

// Components render into happy-dom; @testing-library/react unmounts after each test (see src/test/setup.ts).
export default mergeConfig(
  sharedTestConfig,
  defineConfig({ test: { environment: 'happy-dom', setupFiles: ['./src/test/setup.ts'] } }),
);
