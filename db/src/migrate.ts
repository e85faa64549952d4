// Applies the committed drizzle migrations, serialised by an advisory lock so processes may start together.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { drizzle } from 'drizzle-orm/postgres-js';
import { migrate } from 'drizzle-orm/postgres-js/migrator';
import postgres from 'postgres';

/**
 * Key of the session advisory lock held while migrating ('SGPMIGRT' in ASCII). Any process
 * that migrates takes it first, so concurrent starts apply each migration exactly once.
 */
export const MIGRATION_LOCK_KEY = 0x5347504d49475254n;

// postgres.js has no bigint parameter type by default: send the key as text and cast it.
const lockKey = MIGRATION_LOCK_KEY.toString();

/** The generated SQL and drizzle's journal; resolves from src/ (tsx, vitest) and dist/ alike. */
export const MIGRATIONS_FOLDER = fileURLToPath(new URL('../migrations', import.meta.url));

/** Options for {@link migrateDatabase}. */
export interface MigrateOptions {
  /** Receives one line per step; silent when omitted. */
  readonly log?: (line: string) => void;
}

/** What {@link migrateDatabase} did. */
export interface MigrateResult {
  /** Tags of the migrations this call applied, oldest first (`0000_messaging`); empty if none. */
  readonly applied: string[];
}

interface JournalEntry {
  readonly tag: string;
  readonly when: number;
}

/**
 * Brings the database at `databaseUrl` up to the latest migration. Safe to call from several
 * processes at once and on an up-to-date database (it then changes nothing).
 */
export async function migrateDatabase(
  databaseUrl: string,
  options: MigrateOptions = {},
): Promise<MigrateResult> {
  const log = options.log ?? (() => {});
  const where = describeDatabase(databaseUrl);
  // One connection: the advisory lock belongs to a session, and drizzle must run on that session.
  const sql = postgres(databaseUrl, {
    max: 1,
    onnotice: () => {},
    connection: { application_name: 'sagaport-migrate' },
  });
  try {
    if (!(await tryLock(sql, databaseUrl))) {
      log(`Waiting for another process to finish migrating ${where}`);
      await sql`select pg_advisory_lock(${lockKey}::bigint)`;
    }
    try {
      const before = await appliedMigrationTimes(sql);
      await migrate(drizzle(sql), { migrationsFolder: MIGRATIONS_FOLDER });
      const after = await appliedMigrationTimes(sql);
      const journal = await readJournal();
      const applied = journal
        .filter((entry) => after.has(entry.when) && !before.has(entry.when))
        .map((entry) => entry.tag);
      for (const tag of applied) log(`Applied ${tag} to ${where}`);
      return { applied };
    } finally {
      await sql`select pg_advisory_unlock(${lockKey}::bigint)`;
    }
  } finally {
    await sql.end({ timeout: 5 });
  }
}

/** Host, port and database name of a URL, without credentials, for log lines. */
export function describeDatabase(databaseUrl: string): string {
  const url = new URL(databaseUrl);
  return `${url.hostname}:${url.port || '5432'}${url.pathname}`;
}

// The first statement also opens the connection, so its failure explains connection problems.
async function tryLock(sql: postgres.Sql, databaseUrl: string): Promise<boolean> {
  try {
    const [row] = await sql<{ locked: boolean }[]>`
      select pg_try_advisory_lock(${lockKey}::bigint) as locked`;
    return row?.locked === true;
  } catch (error) {
    throw explainConnectionError(error, databaseUrl);
  }
}

// drizzle identifies an applied migration by its journal timestamp (`created_at` = `when`).
async function appliedMigrationTimes(sql: postgres.Sql): Promise<Set<number>> {
  const [table] = await sql<{ exists: boolean }[]>`
    select to_regclass('drizzle.__drizzle_migrations') is not null as exists`;
  if (!table?.exists) return new Set();
  const rows = await sql<{ createdAt: string }[]>`
    select created_at::text as "createdAt" from drizzle.__drizzle_migrations`;
  return new Set(rows.map((row) => Number(row.createdAt)));
}

async function readJournal(): Promise<JournalEntry[]> {
  const text = await readFile(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8');
  return (JSON.parse(text) as { entries: JournalEntry[] }).entries;
}

/** Turns the usual "nothing to migrate into yet" failures into instructions. */
function explainConnectionError(error: unknown, databaseUrl: string): unknown {
  const code = (error as { code?: unknown } | null)?.code;
  const where = describeDatabase(databaseUrl);
  if (code === '3D000') {
    const name = decodeURIComponent(new URL(databaseUrl).pathname.slice(1));
    return new Error(
      `Database ${where} does not exist: run \`npm run services:up\` or create it (createdb ${name})`,
      { cause: error },
    );
  }
  if (code === 'ECONNREFUSED') {
    return new Error(
      `PostgreSQL is not reachable at ${where}: run \`npm run services:up\` or set DATABASE_URL`,
      { cause: error },
    );
  }
  return error;
}
