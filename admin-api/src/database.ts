// The admin API's own PostgreSQL pool: small, with a statement timeout, apart from the saga engine's.
import { createDatabase, type DatabaseHandle, type DbConfig } from '@sagaport/db';
import type { AdminSettings } from './settings.js';

/**
 * Opens the pool the admin API and the bulk replay runner query through. A console filter that
 * scans too much is cancelled after `statementTimeoutMs` and can take at most `databasePoolSize`
 * connections, so it never holds up the saga engine, whose pool has neither limit.
 */
export function createAdminDatabase(
  database: DbConfig,
  settings: Pick<AdminSettings, 'databasePoolSize' | 'statementTimeoutMs'>,
  applicationName = 'sagaport-admin',
): DatabaseHandle {
  return createDatabase({
    ...database,
    poolMax: settings.databasePoolSize,
    statementTimeoutMs: settings.statementTimeoutMs,
    // Filters differ in selectivity (a rare email, a common word): plan each with its values.
    planCacheMode: 'auto',
    applicationName,
  });
}

/** PostgreSQL's `query_canceled` (57014): what `statement_timeout` raises. Drizzle wraps driver errors. */
export function isStatementTimeout(error: unknown): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth += 1) {
    if ((e as { code?: unknown }).code === '57014') return true;
  }
  return false;
}
