// `node orchestrator/dist/admin/openapi-cli.js [file]`: writes the admin API's OpenAPI document (for the console's typed client).
import { writeFileSync } from 'node:fs';
import { createAdminApp } from './app.js';
import { adminOpenApiDocument } from './document.js';
import type { AdminDeps } from './env.js';

// Building the routers reads no dependency; only handlers do. The document needs no connections.
const document = adminOpenApiDocument(createAdminApp({} as AdminDeps));
const json = `${JSON.stringify(document, null, 2)}\n`;
const target = process.argv[2];
if (target) writeFileSync(target, json);
else process.stdout.write(json);
