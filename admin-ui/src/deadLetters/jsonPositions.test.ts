import { describe, expect, it } from 'vitest';
import { fieldPosition, pathOf, pretty, syntaxErrorOf } from './jsonPositions.js';

const text = pretty({ orderId: 'x', items: [{ sku: 'SKU-001', quantity: '2' }], nested: { a: { b: 1 } } });

describe('positions in JSON text', () => {
  it("places a contract error's field at its value, by line and column", () => {
    expect(fieldPosition(text, 'body.items.0.quantity')).toMatchObject({ line: 6, column: 19 });
    expect(fieldPosition(text, 'payload.nested.a.b')).toMatchObject({ line: 11, column: 12 });
    const at = fieldPosition(text, 'body.orderId')!;
    expect(text.slice(at.from, at.to)).toBe('"x"');
  });

  it('points a missing field at the object that should hold it', () => {
    const at = fieldPosition(text, 'body.items.0.unitPriceCents')!;
    expect(text.slice(at.from, at.to)).toBe('{');
    expect(at).toMatchObject({ line: 4, column: 5 });
  });

  it("drops the message's own name from a field path", () => {
    expect(pathOf('body.items.0.sku')).toEqual(['items', '0', 'sku']);
    expect(pathOf('payload')).toEqual([]);
  });

  it('finds the line and column of a syntax error, also where the parser does not say', () => {
    expect(syntaxErrorOf('{\n  "a": 1,\n}')).toMatchObject({ line: 3, column: 1 });
    expect(syntaxErrorOf('{\n  "a": \n  "b": 2\n}')).toMatchObject({ line: 3 });
    expect(syntaxErrorOf(text)).toBeNull();
  });
});
