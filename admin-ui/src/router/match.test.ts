import { describe, expect, it } from 'vitest';
import { buildPath, matchPath } from './match.js';

describe('path patterns', () => {
  it('matches literal segments and captures parameters, decoded', () => {
    expect(matchPath('/sagas/:id', '/sagas/abc%20def')).toEqual({ id: 'abc def' });
    expect(matchPath('/sagas', '/sagas/')).toEqual({});
    expect(matchPath('/', '/')).toEqual({});
  });

  it('does not match other paths or lengths', () => {
    expect(matchPath('/sagas/:id', '/sagas')).toBeNull();
    expect(matchPath('/sagas/:id', '/dead-letters/1')).toBeNull();
    expect(matchPath('/sagas/:id', '/sagas/1/extra')).toBeNull();
    expect(matchPath('/sagas/:id', '/sagas/%E0%A4%A')).toBeNull();
  });

  it('builds paths with encoded parameters and a query', () => {
    expect(buildPath('/dead-letters/:id', { id: 'a/b' }, new URLSearchParams('view=list'))).toBe(
      '/dead-letters/a%2Fb?view=list',
    );
  });
});
