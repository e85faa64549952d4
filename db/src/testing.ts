// Test support: a throwaway database per test file on the server DATABASE_URL points at.
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import { DEFAULT_DATABASE_URL } from './config.js';
import { createDatabase, type DatabaseHandle } from './client.js';
import { migrateDatabase } from './migrate.js';

export { PrivatePostgres } from './private-server.js';

/** A freshly created, empty database and the means to remove it. */
export interface TestDatabase {
  /** Connection URL of the new database. */
  readonly url: string;
  /** Its name, `sagaport_test_<hex>`. */
  readonly name: string;
  /** Disconnects every session still using the database and drops it. */
  drop(): Promise<void>;
}

const READY_TIMEOUT_MS = 30_000;
const RETRY_DELAY_MS = 500;

/**
 * Creates an empty database `sagaport_test_<random hex>` on the server of `baseUrl` (default:
 * DATABASE_URL, else the local server), waiting up to 30 s for the server to accept connections.
 */
export async function createTestDatabase(
  baseUrl: string = process.env.DATABASE_URL || DEFAULT_DATABASE_URL,
): Promise<TestDatabase> {
  const name = `sagaport_test_${randomBytes(6).toString('hex')}`;
  const url = withDatabase(baseUrl, name);
  await onMaintenanceDatabase(baseUrl, async (sql) => {
    await waitUntilReady(sql);
    await sql`create database ${sql(name)}`;
  });
  return {
    url,
    name,
    drop: () =>
      onMaintenanceDatabase(baseUrl, async (sql) => {
        await sql`drop database if exists ${sql(name)} with (force)`;
      }),
  };
}

/** The same server and credentials as `baseUrl`, pointed at database `name`. */
function withDatabase(baseUrl: string, name: string): string {
  const url = new URL(baseUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

// CREATE/DROP DATABASE cannot run while connected to the target, so go through `postgres`.
async function onMaintenanceDatabase(
  baseUrl: string,
  work: (sql: postgres.Sql) => Promise<void>,
): Promise<void> {
  const sql = postgres(withDatabase(baseUrl, 'postgres'), {
    max: 1,
    onnotice: () => {},
    connection: { application_name: 'sagaport-test-setup' },
  });
  try {
    await work(sql);
  } finally {
    await sql.end({ timeout: 5 });
  }
}

// A server that is still starting refuses connections (ECONNREFUSED) or answers 57P03.
async function waitUntilReady(sql: postgres.Sql): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  for (;;) {
    try {
      await sql`select 1`;
      return;
    } catch (error) {
      if (Date.now() >= deadline) {
        throw new Error(`PostgreSQL did not accept connections within ${READY_TIMEOUT_MS} ms`, {
          cause: error,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS));
    }
  }
}

/** A migrated test database, its connection, and the cleanup that closes and drops both. */
export interface MigratedTestDatabase extends DatabaseHandle {
  readonly url: string;
  dispose(): Promise<void>;
}

/**
 * Creates a fresh database, applies every migration, and connects a pool of `poolMax`. The
 * server is DATABASE_URL's unless `serverUrl` names another (a `PrivatePostgres`'s url).
 */
export async function createMigratedTestDatabase(
  poolMax = 8,
  applicationName = 'sagaport-test',
  serverUrl?: string,
): Promise<MigratedTestDatabase> {
  const testDatabase = await createTestDatabase(serverUrl);
  await migrateDatabase(testDatabase.url);
  const handle = createDatabase({ url: testDatabase.url, poolMax, applicationName });
  return {
    ...handle,
    url: testDatabase.url,
    dispose: async () => {
      await handle.close();
      await testDatabase.drop();
    },
  };
}
