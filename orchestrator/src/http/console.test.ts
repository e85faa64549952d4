// The console's build is found through the @sagaport/admin-ui package, not a path guessed from this file.
import { existsSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { consoleBuildRoot } from './console.js';

const workspaceBuild = fileURLToPath(new URL('../../../admin-ui/dist', import.meta.url));

describe('consoleBuildRoot', () => {
  it('is the admin-ui package’s dist folder when it is built, else undefined', () => {
    const root = consoleBuildRoot();
    if (!existsSync(join(workspaceBuild, 'index.html'))) {
      expect(root).toBeUndefined();
      return;
    }
    expect(root).toBeDefined();
    expect(realpathSync(root!)).toBe(realpathSync(workspaceBuild));
    expect(existsSync(join(root!, 'index.html'))).toBe(true);
  });
});
