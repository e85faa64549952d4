// Writes rabbitmq/definitions.json from the topology module (`npm run topology:generate`).
import { writeFileSync } from 'node:fs';
import { definitionsPath, renderDefinitions } from './definitions-file.js';

writeFileSync(definitionsPath, renderDefinitions());
console.log(`wrote ${definitionsPath}`);
