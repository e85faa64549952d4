// Unit tests of choosing the workers a process runs from its command line.
import { describe, expect, it } from 'vitest';
import { selectWorkers } from './selection.js';

describe('selectWorkers', () => {
  it('runs every worker when none is named', () => {
    expect(selectWorkers([])).toEqual(['order', 'inventory', 'payment', 'shipping']);
  });

  it('runs the named workers', () => {
    expect(selectWorkers(['payment', 'order'])).toEqual(['payment', 'order']);
  });

  it('names an unknown worker and the valid choices', () => {
    expect(() => selectWorkers(['billing'])).toThrow(
      'unknown worker "billing"; choose from order, inventory, payment, shipping',
    );
  });
});
