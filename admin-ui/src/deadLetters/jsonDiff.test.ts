import { describe, expect, it } from 'vitest';
import { changedFields, diffLines, parseJson, pretty } from './jsonDiff.js';

describe('line diff', () => {
  it('keeps unchanged lines and marks the changed one as removed then added', () => {
    const lines = diffLines('a\nb\nc', 'a\nB\nc');
    expect(lines.map((l) => `${l.kind}:${l.text}`)).toEqual(['same:a', 'removed:b', 'added:B', 'same:c']);
    expect(lines[1]).toMatchObject({ oldLine: 2 });
    expect(lines[2]).toMatchObject({ newLine: 2 });
  });

  it('finds insertions and deletions in the middle of long equal runs', () => {
    const before = ['{', '  "a": 1,', '  "b": 2,', '  "c": 3', '}'].join('\n');
    const after = ['{', '  "a": 1,', '  "c": 3,', '  "d": 4', '}'].join('\n');
    const changed = diffLines(before, after).filter((l) => l.kind !== 'same');
    expect(changed).toEqual([
      { kind: 'removed', text: '  "b": 2,', oldLine: 3 },
      { kind: 'removed', text: '  "c": 3', oldLine: 4 },
      { kind: 'added', text: '  "c": 3,', newLine: 3 },
      { kind: 'added', text: '  "d": 4', newLine: 4 },
    ]);
  });

  it('reports nothing but same lines for equal texts', () => {
    expect(diffLines('x\ny', 'x\ny').every((l) => l.kind === 'same')).toBe(true);
  });
});

describe('changed fields', () => {
  it('names each changed, added and removed field by its dotted path', () => {
    const before = { orderId: 'o', items: [{ sku: 'A', quantity: '2' }], note: 'x' };
    const after = { orderId: 'o', items: [{ sku: 'A', quantity: 2 }], currency: 'EUR' };
    expect(changedFields(before, after)).toEqual([
      { path: 'items.0.quantity', kind: 'changed', before: '2', after: 2 },
      { path: 'note', kind: 'removed', before: 'x' },
      { path: 'currency', kind: 'added', after: 'EUR' },
    ]);
  });

  it('sees added and removed array elements and a changed root', () => {
    expect(changedFields([1], [1, 2])).toEqual([{ path: '1', kind: 'added', after: 2 }]);
    expect(changedFields('a', 'b')).toEqual([{ path: '(body)', kind: 'changed', before: 'a', after: 'b' }]);
    expect(changedFields({ a: { b: 1 } }, { a: { b: 1 } })).toEqual([]);
  });

  it('treats a type change as a change even when the text looks alike', () => {
    expect(changedFields({ q: 2 }, { q: '2' })).toHaveLength(1);
  });
});

describe('parsing the editor text', () => {
  it('parses valid JSON', () => {
    expect(parseJson(pretty({ a: [1] }))).toEqual({ ok: true, value: { a: [1] } });
  });

  it('names the line and column of a syntax error', () => {
    const result = parseJson('{\n  "a": 1,\n  "b": \n}');
    expect(result.ok).toBe(false);
    expect(result.error).toMatch(/line 4, column 1/);
    expect(result.line).toBe(4);
  });
});
