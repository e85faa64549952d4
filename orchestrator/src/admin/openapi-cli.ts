// `node orchestrator/dist/admin/openapi-cli.js [file]`: writes the admin API's OpenAPI document (for the console's typed client).
import { writeFileSync } from 'node:fs';
import { type AdminDeps, adminOpenApiDocument, createAdminApp } from '@sagaport/admin-api';
import { sagaCatalogOf } from '../saga/operator-actions.js';
import { sagaRegistry } from '../saga/sagas.js';

// Building the routers reads only the saga catalog; handlers read the other dependencies. The
// document needs no connections.
const document = adminOpenApiDocument(createAdminApp({ sagas: sagaCatalogOf(sagaRegistry) } as AdminDeps));
const json = `${JSON.stringify(document, null, 2)}\n`;
const target = process.argv[2];
if (target) writeFileSync(target, json);
else process.stdout.write(json);
