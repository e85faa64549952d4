import { describe, expect, it } from 'vitest';
import { findJsonSyntaxError } from './jsonSyntax.js';

describe('locating JSON syntax errors', () => {
  it('accepts every kind of valid JSON', () => {
    for (const text of ['{}', '[]', ' {"a": [1, -2.5e3, true, false, null, "x\\n\\u00e9"]} ', '"s"', '0']) {
      expect(findJsonSyntaxError(text), text).toBeNull();
    }
  });

  it.each([
    ['{\n  "a": 1,\n}', 3, 1, 'a property name'],
    ['{"a" 1}', 1, 6, "':'"],
    ['[1 2]', 1, 4, "',' or ']'"],
    ['{"a": tru}', 1, 7, 'a value'],
    ['{"a": "open', 1, 12, 'a closing quote'],
    ['{} x', 1, 4, 'end of input'],
    ["{'a': 1}", 1, 2, 'a property name'],
    ['', 1, 1, 'a value'],
  ])('finds the error in %j at line %i column %i', (text, line, column, expected) => {
    const error = findJsonSyntaxError(text);
    expect(error).toMatchObject({ line, column });
    expect(error!.message).toContain(`expected ${expected}`);
  });

  it('agrees with JSON.parse on what is valid', () => {
    for (const text of ['{"a":01}', '[1,]', '{"a":1,}', '"\t"', '1.', '-']) {
      expect(() => JSON.parse(text) as unknown, text).toThrow();
      expect(findJsonSyntaxError(text), text).not.toBeNull();
    }
  });
});
