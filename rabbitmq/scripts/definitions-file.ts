// The checked-in definitions.json: where it lives and what it must contain (default topology).
import { fileURLToPath } from 'node:url';
import { buildTopology } from '../src/topology.js';
import { toDefinitions } from '../src/definitions.js';

export const definitionsPath = fileURLToPath(new URL('../definitions.json', import.meta.url));

/** The file's exact expected text. */
export function renderDefinitions(): string {
  return `${JSON.stringify(toDefinitions(buildTopology()), null, 2)}\n`;
}
