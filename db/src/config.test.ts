// Unit tests for the database configuration loader.
import { describe, expect, it } from 'vitest';
import { DEFAULT_DATABASE_URL, loadDbConfig } from './config.js';

describe('loadDbConfig', () => {
  it('uses the local database and a pool of 10 when nothing is set', () => {
    expect(loadDbConfig({})).toEqual({ url: DEFAULT_DATABASE_URL, poolMax: 10 });
  });

  it('treats empty variables as unset', () => {
    expect(loadDbConfig({ DATABASE_URL: '', DATABASE_POOL_MAX: '' })).toEqual({
      url: DEFAULT_DATABASE_URL,
      poolMax: 10,
    });
  });

  it('accepts postgres:// and postgresql:// URLs and a numeric pool size', () => {
    expect(
      loadDbConfig({ DATABASE_URL: 'postgresql://app:secret@db:5432/shop', DATABASE_POOL_MAX: '25' }),
    ).toEqual({ url: 'postgresql://app:secret@db:5432/shop', poolMax: 25 });
    expect(loadDbConfig({ DATABASE_URL: 'postgres://db/shop' }).url).toBe('postgres://db/shop');
  });

  it.each(['mysql://db/shop', 'http://db/shop', 'not a url'])(
    'rejects DATABASE_URL=%s with a message naming the variable and the expected form',
    (url) => {
      expect(() => loadDbConfig({ DATABASE_URL: url })).toThrow(
        /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/,
      );
    },
  );

  it('never echoes the URL, which may contain a password', () => {
    const attempt = () => loadDbConfig({ DATABASE_URL: 'mysql://app:hunter2@db/shop' });
    expect(attempt).toThrow(/DATABASE_URL/);
    expect(attempt).not.toThrow(/hunter2/);
  });

  it.each(['ten', '2.5', '0', '-3'])(
    'rejects DATABASE_POOL_MAX=%s with a message naming the variable',
    (poolMax) => {
      expect(() => loadDbConfig({ DATABASE_POOL_MAX: poolMax })).toThrow(
        /DATABASE_POOL_MAX must be a whole number from 1 to 1000/,
      );
    },
  );

  it('reports every bad variable at once', () => {
    expect(() => loadDbConfig({ DATABASE_URL: 'http://x', DATABASE_POOL_MAX: 'x' })).toThrow(
      /DATABASE_URL.*DATABASE_POOL_MAX/,
    );
  });

  it('connects through a Unix socket directory when DATABASE_SOCKET_DIR names one, and refuses a relative one', () => {
    expect(loadDbConfig({ DATABASE_SOCKET_DIR: '/var/run/postgresql' })).toMatchObject({
      socketDir: '/var/run/postgresql',
    });
    expect(loadDbConfig({})).not.toHaveProperty('socketDir');
    expect(() => loadDbConfig({ DATABASE_SOCKET_DIR: 'run/postgresql' })).toThrow(
      /DATABASE_SOCKET_DIR must be an absolute directory/,
    );
  });
});
