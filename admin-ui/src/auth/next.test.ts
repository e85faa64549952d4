import { describe, expect, it } from 'vitest';
import { safeNext } from './next.js';

const ORIGIN = 'https://console.example.test';

describe('safeNext', () => {
  it.each([
    '/',
    '/sagas',
    '/sagas/b1b2c3d4?tab=timeline',
    '/dead-letters?queue=payment.commands.dlq&status=open',
    '/audit#latest',
    '/dead-letters?q=a%20b',
  ])('keeps the same-origin path %s', (next) => {
    expect(safeNext(next, ORIGIN)).toBe(next);
  });

  it.each([
    ['a backslash read as a second slash', '/\\example.com'],
    ['backslashes only', '\\\\example.com'],
    ['a slash and a backslash', '/\\/example.com'],
    ['a tab that URL parsing strips', '/\t/example.com'],
    ['a newline that URL parsing strips', '/\n/example.com'],
    ['a percent-encoded tab', '/%09/example.com'],
    ['a percent-encoded newline', '/%0a/example.com'],
    ['a percent-encoded backslash', '/%5cexample.com'],
    ['a protocol-relative URL', '//example.com'],
    ['a protocol-relative URL with a path', '//example.com/sagas'],
    ['an absolute URL', 'https://example.com/'],
    ['an absolute URL of this very origin', `${ORIGIN}/sagas`],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['a relative path', 'sagas'],
    ['a NUL character', '/sagas\u0000'],
    ['the login page', '/login'],
    ['the login page with a query', '/login?next=/sagas'],
    ['the empty string', ''],
    ['nothing', null],
  ])('answers / for %s', (_case, next) => {
    expect(safeNext(next, ORIGIN)).toBe('/');
  });

  it('normalises dot segments instead of leaving the origin', () => {
    expect(safeNext('/sagas/../../../etc', ORIGIN)).toBe('/etc');
  });
});
