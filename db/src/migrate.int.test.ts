// Integration tests: migrations build exactly the declared schema and are safe to rerun and to run concurrently.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { is, SQL } from 'drizzle-orm';
import { getTableConfig, type IndexedColumn, type PgColumn, PgDialect, PgTable } from 'drizzle-orm/pg-core';
import postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MIGRATIONS_FOLDER, migrateDatabase } from './migrate.js';
import * as schema from './schema/index.js';
import { createTestDatabase, type TestDatabase } from './testing.js';

const journalTags = (
  JSON.parse(readFileSync(join(MIGRATIONS_FOLDER, 'meta', '_journal.json'), 'utf8')) as {
    entries: { tag: string }[];
  }
).entries.map((entry) => entry.tag);

/** Every table db/src/schema declares, as drizzle describes it. */
function declaredTables() {
  return Object.values(schema as Record<string, unknown>)
    .filter((value): value is PgTable => is(value, PgTable))
    .map((table) => getTableConfig(table));
}
/** The schemas the migrations own: every one db/src/schema declares a table in, and `public`. */
const appSchemas = [...new Set(['public', ...declaredTables().map((t) => t.schema ?? 'public')])].sort();

interface ColumnRow {
  schema: string;
  table: string;
  column: string;
  type: string;
  notNull: boolean;
  default: string | null;
}
interface ConstraintRow {
  schema: string;
  table: string;
  name: string;
  definition: string;
}
interface IndexRow {
  schema: string;
  table: string;
  name: string;
  unique: boolean;
  method: string;
  columns: string[];
  predicate: string | null;
}

/**
 * Everything a migration can change that these tests compare: applied migrations, schemas,
 * columns (type, nullability, default), constraints (primary keys, unique, check, foreign keys)
 * and the other indexes, in every schema but the system's.
 */
async function schemaSnapshot(sql: postgres.Sql) {
  const migrations = await sql`
    select id, hash, created_at::text from drizzle.__drizzle_migrations order by id`;
  const schemas = await sql<{ name: string }[]>`
    select nspname as name from pg_namespace
    where nspname not like 'pg\_%' and nspname <> 'information_schema'
    order by nspname`;
  const columns = await sql<ColumnRow[]>`
    select n.nspname as schema, c.relname as table, a.attname as column,
      format_type(a.atttypid, a.atttypmod) as type, a.attnotnull as "notNull",
      pg_get_expr(d.adbin, d.adrelid) as default
    from pg_attribute a
    join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace
    left join pg_attrdef d on d.adrelid = a.attrelid and d.adnum = a.attnum
    where c.relkind in ('r', 'p') and a.attnum > 0 and not a.attisdropped
      and n.nspname = any(${appSchemas})
    order by 1, 2, a.attnum`;
  const constraints = await sql<ConstraintRow[]>`
    select n.nspname as schema, c.relname as table, con.conname as name,
      pg_get_constraintdef(con.oid) as definition
    from pg_constraint con
    join pg_class c on c.oid = con.conrelid
    join pg_namespace n on n.oid = c.relnamespace
    where n.nspname = any(${appSchemas})
    order by 1, 2, 3`;
  // Indexes of their own, not the ones behind a primary key or unique constraint.
  const indexes = await sql<IndexRow[]>`
    select n.nspname as schema, t.relname as table, i.relname as name, x.indisunique as unique,
      am.amname as method,
      array(select a.attname from unnest(x.indkey) with ordinality k(attnum, ord)
            join pg_attribute a on a.attrelid = x.indrelid and a.attnum = k.attnum
            order by k.ord) as columns,
      pg_get_expr(x.indpred, x.indrelid) as predicate
    from pg_index x
    join pg_class i on i.oid = x.indexrelid
    join pg_class t on t.oid = x.indrelid
    join pg_namespace n on n.oid = t.relnamespace
    join pg_am am on am.oid = i.relam
    where n.nspname = any(${appSchemas})
      and not exists (select 1 from pg_constraint con where con.conindid = x.indexrelid)
    order by 1, 2, 3`;
  return {
    migrations: [...migrations],
    schemas: schemas.map((row) => row.name),
    columns: [...columns],
    constraints: [...constraints],
    indexes: [...indexes].map((row) => ({ ...row, predicate: normalisePredicate(row.predicate) })),
  };
}

const dialect = new PgDialect();
const sqlText = (value: SQL) => dialect.sqlToQuery(value).sql;
const serialTypes: Record<string, string> = {
  bigserial: 'bigint',
  serial: 'integer',
  smallserial: 'smallint',
};
const qualified = (schemaName: string, name: string) =>
  schemaName === 'public' ? name : `${schemaName}.${name}`;

/** An expression without quotes, table qualifiers, casts, parentheses or case: `status = 'held'`. */
function normalisePredicate(text: string | null | undefined): string | null {
  if (!text) return null;
  return text
    .replace(/("[^"]+"\.)+/g, '')
    .replace(/::[a-z ]+/gi, '')
    .replace(/["()]/g, '')
    .replace(/\s+/g, ' ')
    .trim()
    .toLowerCase();
}

/** The default as PostgreSQL prints it (`pg_get_expr`), for the defaults this schema uses. */
function expectedDefault(schemaName: string, table: string, column: PgColumn): string | null {
  if (column.getSQLType() in serialTypes) {
    return `nextval('${qualified(schemaName, `${table}_${column.name}_seq`)}'::regclass)`;
  }
  if (!column.hasDefault || column.default === undefined) return null;
  const value: unknown = column.default;
  if (is(value, SQL)) return sqlText(value);
  if (typeof value === 'string') return `'${value.replace(/'/g, "''")}'::text`;
  return String(value);
}

/** What the migrated database must contain, derived from the drizzle tables in db/src/schema. */
function expectedSnapshot() {
  const columns: ColumnRow[] = [];
  const constraints: ConstraintRow[] = [];
  const indexes: IndexRow[] = [];
  for (const config of declaredTables()) {
    const schemaName = config.schema ?? 'public';
    const table = config.name;
    const at = { schema: schemaName, table };
    for (const column of config.columns) {
      const sqlType = column.getSQLType();
      columns.push({
        ...at,
        column: column.name,
        type: serialTypes[sqlType] ?? sqlType,
        notNull: column.notNull || sqlType in serialTypes,
        default: expectedDefault(schemaName, table, column),
      });
      if (column.primary) {
        constraints.push({ ...at, name: `${table}_pkey`, definition: `PRIMARY KEY (${column.name})` });
      }
      if (column.isUnique) {
        constraints.push({
          ...at,
          name: column.uniqueName ?? `${table}_${column.name}_unique`,
          definition: `UNIQUE${column.uniqueType === 'not distinct' ? ' NULLS NOT DISTINCT' : ''} (${column.name})`,
        });
      }
    }
    for (const key of config.primaryKeys) {
      const names = key.columns.map((c) => c.name).join(', ');
      constraints.push({ ...at, name: key.getName(), definition: `PRIMARY KEY (${names})` });
    }
    for (const unique of config.uniqueConstraints) {
      const names = unique.columns.map((c) => c.name).join(', ');
      constraints.push({ ...at, name: unique.getName()!, definition: `UNIQUE (${names})` });
    }
    for (const check of config.checks) {
      constraints.push({
        ...at,
        name: check.name,
        definition: `CHECK ((${normalisePredicate(sqlText(check.value))}))`,
      });
    }
    for (const foreignKey of config.foreignKeys) {
      const reference = foreignKey.reference();
      const target = getTableConfig(reference.foreignTable);
      const actions = [
        foreignKey.onUpdate && foreignKey.onUpdate !== 'no action'
          ? ` ON UPDATE ${foreignKey.onUpdate.toUpperCase()}`
          : '',
        foreignKey.onDelete && foreignKey.onDelete !== 'no action'
          ? ` ON DELETE ${foreignKey.onDelete.toUpperCase()}`
          : '',
      ].join('');
      constraints.push({
        ...at,
        name: foreignKey.getName(),
        definition:
          `FOREIGN KEY (${reference.columns.map((c) => c.name).join(', ')}) ` +
          `REFERENCES ${qualified(target.schema ?? 'public', target.name)}` +
          `(${reference.foreignColumns.map((c) => c.name).join(', ')})${actions}`,
      });
    }
    for (const index of config.indexes) {
      indexes.push({
        ...at,
        name: index.config.name!,
        unique: index.config.unique,
        method: index.config.method ?? 'btree',
        // An expression (`lower(email)`) has no column name; the catalogue lists only plain columns.
        columns: index.config.columns.flatMap((c) =>
          (c as IndexedColumn).name ? [(c as IndexedColumn).name!] : [],
        ),
        predicate: normalisePredicate(index.config.where ? sqlText(index.config.where) : null),
      });
    }
  }
  return sorted({ schemas: [...appSchemas, 'drizzle'].sort(), columns, constraints, indexes });
}

/**
 * Rows in one order, by schema, table and name, so the database and the declaration compare
 * regardless of catalogue order (column order within a table is not part of the contract).
 */
function sorted<C extends ColumnRow, K extends ConstraintRow, I extends IndexRow>(snapshot: {
  schemas: string[];
  columns: C[];
  constraints: K[];
  indexes: I[];
}) {
  const by =
    <T extends { schema: string; table: string }>(name: (row: T) => string) =>
    (a: T, b: T) =>
      `${a.schema}.${a.table}.${name(a)}`.localeCompare(`${b.schema}.${b.table}.${name(b)}`);
  return {
    schemas: snapshot.schemas,
    columns: [...snapshot.columns].sort(by((row) => row.column)),
    constraints: [...snapshot.constraints].sort(by((row) => row.name)),
    indexes: [...snapshot.indexes].sort(by((row) => row.name)),
  };
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
        .filter((column) => column.schema === 'public' && column.table === table)
        .map((column) => [column.column, column.type, column.notNull]);
    expect(shape('outbox')).toEqual([
      ['id', 'bigint', true],
      ['message_id', 'uuid', true],
      ['exchange', 'text', true],
      ['routing_key', 'text', true],
      ['message_type', 'text', true],
      ['correlation_id', 'uuid', false],
      ['headers', 'jsonb', true],
      ['payload', 'jsonb', true],
      ['created_at', 'timestamp with time zone', true],
      ['available_at', 'timestamp with time zone', true],
      ['attempts', 'integer', true],
      ['last_error', 'text', false],
    ]);
    expect(shape('inbox')).toEqual([
      ['consumer', 'text', true],
      ['message_id', 'uuid', true],
      ['message_type', 'text', true],
      ['correlation_id', 'uuid', false],
      ['reply', 'jsonb', false],
      ['received_at', 'timestamp with time zone', true],
    ]);
    expect(await primaryKey(sql, 'outbox')).toEqual(['id']);
    expect(await primaryKey(sql, 'inbox')).toEqual(['consumer', 'message_id']);
    // The relay's "due, oldest first" scan must be served by an index.
    expect(indexes).toContainEqual(
      expect.objectContaining({ schema: 'public', table: 'outbox', columns: ['available_at', 'id'] }),
    );
  });

  it('builds every schema, table, column, index and constraint db/src/schema declares, and nothing else', async () => {
    const { schemas, columns, constraints, indexes } = await schemaSnapshot(sql);
    const actual = sorted({ schemas, columns, constraints, indexes });
    const expected = expectedSnapshot();
    // Guards the comparison itself: the worker schemas and the constraints that keep a saga from
    // being charged, shipped or reserved twice are in what is compared.
    expect(expected.schemas).toEqual(
      expect.arrayContaining(['admin', 'inventory', 'orders', 'payments', 'public', 'saga', 'shipping']),
    );
    expect(expected.constraints.map((c) => c.name)).toEqual(
      expect.arrayContaining([
        'charges_saga_id_unique',
        'products_available_nonnegative',
        'sessions_user_id_users_id_fk',
      ]),
    );
    // Soft: a failure lists every difference, not only the first kind.
    expect.soft(actual.schemas).toEqual(expected.schemas);
    expect.soft(actual.columns).toEqual(expected.columns);
    expect.soft(actual.constraints).toEqual(expected.constraints);
    expect.soft(actual.indexes).toEqual(expected.indexes);
  });

  it('indexes no column of saga.instances that changes at every step, so those updates stay HOT', async () => {
    const { indexes } = await schemaSnapshot(sql);
    const perStep = ['state', 'version', 'current_step', 'deadline_at', 'updated_at'];
    const onSagas = indexes.filter((index) => index.schema === 'saga' && index.table === 'instances');
    expect(onSagas.length).toBeGreaterThan(1); // guards the filter itself
    for (const index of onSagas) expect(index.columns.filter((c) => perStep.includes(c))).toEqual([]);
    // Nor does an index predicate: a partial index on "deadline_at is not null" breaks HOT as well.
    const [predicates] = await sql<{ n: number }[]>`
      select count(*)::int as n from pg_index i
      where i.indrelid = 'saga.instances'::regclass and i.indpred is not null
        and pg_get_expr(i.indpred, i.indrelid) ~ '(deadline_at|current_step|updated_at|version|state)'`;
    expect(predicates!.n).toBe(0);
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
      expect(snapshot).toEqual(await schemaSnapshot(sql));
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
