import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { definitionsPath, renderDefinitions } from './definitions-file.js';

describe('rabbitmq/definitions.json', () => {
  it('matches the topology module (run `npm run topology:generate` after changing it)', () => {
    expect(readFileSync(definitionsPath, 'utf8')).toBe(renderDefinitions());
  });
});
