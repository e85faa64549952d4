import { describe, expect, it } from 'vitest';
import { cursor } from '../openapi.js';
import { escapeLike } from '../filters.js';
import { readCursor } from './list.js';

const id = '0191e4b4-6f4e-7cc1-9c2b-5a4f2d3e1a01';

describe('saga list cursors', () => {
  it('reads back the key it was made from, to the microsecond', () => {
    const key: [string, string] = ['2030-05-06T07:08:09.123456Z', id];
    expect(readCursor(cursor.encode(key))).toEqual(key);
  });

  it.each([
    ['not base64 JSON', '%%%'],
    ['JSON that is not a key', cursor.encode(['x'])],
    ['a millisecond time', cursor.encode(['2030-05-06T07:08:09.123Z', id])],
    ['a day that does not exist', cursor.encode(['2030-02-31T00:00:00.000000Z', id])],
    ['year zero', cursor.encode(['0000-01-01T00:00:00.000000Z', id])],
    ['a month that does not exist', cursor.encode(['2030-13-01T00:00:00.000000Z', id])],
    ['an id that is not a uuid', cursor.encode(['2030-05-06T07:08:09.123456Z', "1' or '1'='1"])],
    ['a key with more parts', cursor.encode(['2030-05-06T07:08:09.123456Z', id, 1])],
  ])('refuses %s', (_, value) => {
    expect(readCursor(value)).toBeUndefined();
  });
});

describe('escapeLike', () => {
  it('makes %, _ and \\ match only themselves', () => {
    expect(escapeLike('50%_off\\')).toBe('50\\%\\_off\\\\');
    expect(escapeLike('ada@example.com')).toBe('ada@example.com');
  });
});
