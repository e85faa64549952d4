// Unit tests of how reservation lines are merged and ordered before stock moves.
import { describe, expect, it } from 'vitest';
import { mergeLines } from './stock.js';

describe('mergeLines', () => {
  it('sums repeated skus, so the conditional update checks the whole quantity at once', () => {
    expect(
      mergeLines([
        { sku: 'B-1', quantity: 2 },
        { sku: 'A-1', quantity: 1 },
        { sku: 'B-1', quantity: 3 },
      ]),
    ).toEqual([
      { sku: 'A-1', quantity: 1 },
      { sku: 'B-1', quantity: 5 },
    ]);
  });

  it('orders by sku, the lock order every stock move shares', () => {
    const skus = mergeLines([
      { sku: 'SKU-010', quantity: 1 },
      { sku: 'SKU-002', quantity: 1 },
      { sku: 'SKU-001', quantity: 1 },
    ]).map((l) => l.sku);
    expect(skus).toEqual(['SKU-001', 'SKU-002', 'SKU-010']);
  });
});
