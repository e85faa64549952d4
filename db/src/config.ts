// Database settings read from the environment once, at startup, and checked before use.
import { z } from 'zod';

/** Where the database lives when DATABASE_URL is not set: the local server `npm run services:up` starts. */
export const DEFAULT_DATABASE_URL = 'postgres://postgres@127.0.0.1:5432/sagaport';

// Unset and empty variables both mean "use the default", as in most shells' `VAR= cmd`.
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);

const DbEnv = z.object({
  DATABASE_URL: z.preprocess(
    unsetIfEmpty,
    z
      .url({
        protocol: /^postgres(ql)?$/,
        error: 'must be a postgres:// or postgresql:// URL',
      })
      .default(DEFAULT_DATABASE_URL),
  ),
  DATABASE_POOL_MAX: z.preprocess(
    unsetIfEmpty,
    z.coerce
      .number({ error: 'must be a whole number from 1 to 1000' })
      .int({ error: 'must be a whole number from 1 to 1000' })
      .min(1, { error: 'must be a whole number from 1 to 1000' })
      .max(1000, { error: 'must be a whole number from 1 to 1000' })
      .default(10),
  ),
  DATABASE_SOCKET_DIR: z.preprocess(
    unsetIfEmpty,
    z
      .string()
      .startsWith('/', { error: 'must be an absolute directory, e.g. /var/run/postgresql' })
      .optional(),
  ),
});

/** Connection settings for one process's PostgreSQL pool. */
export interface DbConfig {
  /** postgres:// URL of the Sagaport database. */
  readonly url: string;
  /** Most connections the pool opens at once. */
  readonly poolMax: number;
  /**
   * Directory of the server's Unix socket: connect through it instead of the URL's host and port
   * (a server on the same machine; each round trip costs less than over TCP loopback).
   */
  readonly socketDir?: string;
}

/**
 * Reads DATABASE_URL, DATABASE_POOL_MAX and DATABASE_SOCKET_DIR from `env`, applying defaults, and throws an Error
 * naming each bad variable and what it expects.
 */
export function loadDbConfig(env: NodeJS.ProcessEnv = process.env): DbConfig {
  const parsed = DbEnv.safeParse({
    DATABASE_URL: env.DATABASE_URL,
    DATABASE_POOL_MAX: env.DATABASE_POOL_MAX,
    DATABASE_SOCKET_DIR: env.DATABASE_SOCKET_DIR,
  });
  if (!parsed.success) {
    // The message names the variable but never echoes its value: a URL may carry a password.
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new Error(`Invalid database configuration: ${problems.join('; ')}`);
  }
  const { DATABASE_URL: url, DATABASE_POOL_MAX: poolMax, DATABASE_SOCKET_DIR: socketDir } = parsed.data;
  return socketDir ? { url, poolMax, socketDir } : { url, poolMax };
}
