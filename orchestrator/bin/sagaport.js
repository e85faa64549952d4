#!/usr/bin/env node
// `npx sagaport`: runs the built operator CLI (orchestrator/dist/cli), saying how to build it when it is missing.
import { existsSync } from 'node:fs';

const main = new URL('../dist/cli/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('error: the CLI is not built yet; run `npm run build` (or use `npm run cli -- …`)\n');
  process.exit(2);
}
await import(main.href);
