import { defineConfig } from 'vitest/config';
import { sharedTestConfig } from '../vitest.shared.js';

// The end-to-end files spend most of their time waiting out a fault (a heartbeat, an outage, a
// broker restart) with a few processes idling: three at a time, not the other packages' two.
export default defineConfig({
  ...sharedTestConfig,
  test: {
    ...sharedTestConfig.test,
    projects: sharedTestConfig.test!.projects!.map((project) =>
      typeof project === 'object' && 'test' in project && project.test?.name === 'integration'
        ? { ...project, test: { ...project.test, maxWorkers: 3 } }
        : project,
    ),
  },
});
