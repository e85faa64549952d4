// Creates the PostgreSQL pool (postgres.js) and the drizzle database every service queries through.
import { drizzle, type PostgresJsDatabase } from 'drizzle-orm/postgres-js';
import postgres from 'postgres';
import type { DbConfig } from './config.js';
import * as schema from './schema/index.js';

/** The drizzle database, typed with every Sagaport table. */
export type Database = PostgresJsDatabase<typeof schema>;

/** The transaction handle `db.transaction(async (tx) => …)` passes to its callback. */
export type Transaction = Parameters<Parameters<Database['transaction']>[0]>[0];

/** Anything queries can run on: the database itself or an open transaction. */
export type DbExecutor = Database | Transaction;

/** Options for {@link createDatabase} on top of the parsed configuration. */
export interface CreateDatabaseOptions extends DbConfig {
  /** Shown in pg_stat_activity so an operator can tell which process holds a connection. */
  readonly applicationName?: string;
  /**
   * Cancels any statement of this pool that runs longer (PostgreSQL's `statement_timeout`, SQLSTATE
   * 57014). Unset: no limit, as the saga engine's pool needs.
   */
  readonly statementTimeoutMs?: number;
  /**
   * Ends any session of this pool that sits idle inside a transaction longer (PostgreSQL's
   * `idle_in_transaction_session_timeout`). Default 60 s: no transaction of Sagaport waits that
   * long between its statements (a payment provider's call is the longest wait), and one that a
   * bug left open would otherwise hold its row locks, and every transaction waiting on them, for
   * good. `0` turns it off.
   */
  readonly idleInTransactionTimeoutMs?: number;
  /**
   * PostgreSQL's `plan_cache_mode`. Default `force_generic_plan`: the hot path's prepared statements
   * are planned once. A pool of ad-hoc filters wants `auto`, so a search value's selectivity counts.
   */
  readonly planCacheMode?: 'auto' | 'force_generic_plan' | 'force_custom_plan';
}

/** A connected database: the raw postgres.js client, drizzle on top of it, and a way to close both. */
export interface DatabaseHandle {
  /**
   * The postgres.js client, for what drizzle does not cover (LISTEN, `sql.begin`). drizzle
   * installs pass-through parsers on it, so raw queries return timestamps as strings.
   */
  readonly sql: postgres.Sql;
  readonly db: Database;
  /** Waits up to `timeoutSeconds` for running queries, then closes every connection. */
  close(timeoutSeconds?: number): Promise<void>;
}

/** Opens a connection pool to the database in `config` and wraps it in drizzle. */
export function createDatabase(config: CreateDatabaseOptions): DatabaseHandle {
  const sql = postgres(config.url, {
    max: config.poolMax,
    // A host starting with '/' is the directory of the server's Unix socket (postgres.js).
    ...(config.socketDir ? { host: config.socketDir } : {}),
    // Migrations and `IF NOT EXISTS` statements emit notices that are noise in service logs.
    onnotice: () => {},
    connection: {
      application_name: config.applicationName ?? 'sagaport',
      plan_cache_mode: config.planCacheMode ?? 'force_generic_plan',
      ...(config.statementTimeoutMs === undefined ? {} : { statement_timeout: config.statementTimeoutMs }),
      idle_in_transaction_session_timeout: config.idleInTransactionTimeoutMs ?? 60_000,
    },
  });
  const db = drizzle(sql, { schema });
  return {
    sql,
    db,
    close: (timeoutSeconds = 5) => sql.end({ timeout: timeoutSeconds }),
  };
}
