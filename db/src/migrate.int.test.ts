// Integration tests: migrations build the messaging schema and are safe to rerun and to run concurrently.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER, migrateDatabase } from './migrate.js';
import { createTestDatabase, type TestDatabase } from './testing.js';

const journalTags = (
  JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
    entries: { tag: string }[];
  }
).entries.map((entry) => entry.tag);

interface ColumnRow {
  table_name: string;
  column_name: string;
  data_type: string;
  is_nullable: 'YES' | 'NO';
  column_default: string | null;
}

/** Everything a migration can change that these tests compare between runs. */
async function schemaSnapshot(sql: postgres.Sql) {
  const migrations = await sql`
    select id, hash, created_at::text from drizzle.__drizzle_migrations order by id`;
  const columns = await sql<ColumnRow[]>`
    select table_name, column_name, data_type, is_nullable, column_default
    from information_schema.columns
    where table_schema = 'public'
    order by table_name, ordinal_position`;
  const indexes = await sql<{ indexname: string; indexdef: string }[]>`
    select indexname, indexdef from pg_indexes where schemaname = 'public' order by indexname`;
  return { migrations: [...migrations], columns: [...columns], indexes: [...indexes] };
}

async function primaryKey(sql: postgres.Sql, table: string): Promise<string[]> {
  const rows = await sql<{ column_name: string }[]>`
    select kcu.column_name
    from information_schema.table_constraints tc
    join information_schema.key_column_usage kcu
      on kcu.constraint_name = tc.constraint_name and kcu.table_schema = tc.table_schema
    where tc.table_schema = 'public' and tc.table_name = ${table}
      and tc.constraint_type = 'PRIMARY KEY'
    order by kcu.ordinal_position`;
  return rows.map((row) => row.column_name);
}

describe('migrateDatabase', () => {
  let database: TestDatabase;
  let sql: postgres.Sql;

  beforeAll(async () => {
    database = await createTestDatabase();
    sql = postgres(database.url, { max: 1, onnotice: () => {} });
  });

  afterAll(async () => {
    await sql?.end();
    await database?.drop();
  });

  it('creates the outbox and inbox tables with their columns and keys on an empty database', async () => {
    const [before] = await sql`
      select count(*)::int as tables from information_schema.tables where table_schema = 'public'`;
    expect(before?.tables).toBe(0);

    const result = await migrateDatabase(database.url);
    expect(result.applied).toEqual(journalTags);

    const { columns, indexes } = await schemaSnapshot(sql);
    const shape = (table: string) =>
      columns
        .filter((column) => column.table_name === table)
        .map((column) => [column.column_name, column.data_type, column.is_nullable]);
    expect(shape('outbox')).toEqual([
      ['id', 'bigint', 'NO'],
      ['message_id', 'uuid', 'NO'],
      ['exchange', 'text', 'NO'],
      ['routing_key', 'text', 'NO'],
      ['message_type', 'text', 'NO'],
      ['correlation_id', 'uuid', 'YES'],
      ['headers', 'jsonb', 'NO'],
      ['payload', 'jsonb', 'NO'],
      ['created_at', 'timestamp with time zone', 'NO'],
      ['available_at', 'timestamp with time zone', 'NO'],
      ['attempts', 'integer', 'NO'],
      ['last_error', 'text', 'YES'],
    ]);
    expect(shape('inbox')).toEqual([
      ['consumer', 'text', 'NO'],
      ['message_id', 'uuid', 'NO'],
      ['message_type', 'text', 'NO'],
      ['correlation_id', 'uuid', 'YES'],
      ['reply', 'jsonb', 'YES'],
      ['received_at', 'timestamp with time zone', 'NO'],
    ]);
    expect(await primaryKey(sql, 'outbox')).toEqual(['id']);
    expect(await primaryKey(sql, 'inbox')).toEqual(['consumer', 'message_id']);
    // The relay's "due, oldest first" scan must be served by an index.
    expect(indexes.map((index) => index.indexdef)).toContainEqual(
      expect.stringMatching(/ON public\.outbox USING btree \(available_at, id\)/),
    );
  });

  it('changes nothing when run again, one after another or two at once', async () => {
    const before = await schemaSnapshot(sql);
    expect(before.migrations).toHaveLength(journalTags.length);

    await expect(migrateDatabase(database.url)).resolves.toEqual({ applied: [] });
    const concurrent = await Promise.all([migrateDatabase(database.url), migrateDatabase(database.url)]);
    expect(concurrent).toEqual([{ applied: [] }, { applied: [] }]);

    expect(await schemaSnapshot(sql)).toEqual(before);
  });

  it('applies each migration exactly once when several processes start on a fresh database together', async () => {
    const fresh = await createTestDatabase();
    const freshSql = postgres(fresh.url, { max: 1, onnotice: () => {} });
    try {
      const results = await Promise.all([
        migrateDatabase(fresh.url),
        migrateDatabase(fresh.url),
        migrateDatabase(fresh.url),
      ]);
      // Exactly one process did the work; the others waited for the lock and found nothing to do.
      expect(results.map((result) => result.applied).sort()).toEqual([[], [], journalTags]);
      const snapshot = await schemaSnapshot(freshSql);
      expect(snapshot.migrations).toHaveLength(journalTags.length);
      expect(snapshot.columns).toEqual((await schemaSnapshot(sql)).columns);
    } finally {
      await freshSql.end();
      await fresh.drop();
    }
  });

  it('tells the operator how to create a database that does not exist', async () => {
    const missing = new URL(database.url);
    missing.pathname = `/${database.name}_missing`;
    await expect(migrateDatabase(missing.toString())).rejects.toThrow(
      /does not exist: run `npm run services:up` or create it/,
    );
  });
});
