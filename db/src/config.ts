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
});

/** Connection settings for one process's PostgreSQL pool. */
export interface DbConfig {
  /** postgres:// URL of the Sagaport database. */
  readonly url: string;
  /** Most connections the pool opens at once. */
  readonly poolMax: number;
}

/**
 * Reads DATABASE_URL and DATABASE_POOL_MAX from `env`, applying defaults, and throws an Error
 * naming each bad variable and what it expects.
 */
export function loadDbConfig(env: NodeJS.ProcessEnv = process.env): DbConfig {
  const parsed = DbEnv.safeParse({
    DATABASE_URL: env.DATABASE_URL,
    DATABASE_POOL_MAX: env.DATABASE_POOL_MAX,
  });
  if (!parsed.success) {
    // The message names the variable but never echoes its value: a URL may carry a password.
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')} ${issue.message}`);
    throw new Error(`Invalid database configuration: ${problems.join('; ')}`);
  }
  return { url: parsed.data.DATABASE_URL, poolMax: parsed.data.DATABASE_POOL_MAX };
}
