// A rebuild's shadow tables: copies of a projection's tables, built beside them and swapped in by renames in one transaction.
import type postgres from 'postgres';

type Sql = postgres.Sql | postgres.TransactionSql;

/** A table's schema and name, from `schema.table` (or `table`, in `public`). */
function split(table: string): { schema: string; name: string } {
  const dot = table.indexOf('.');
  return dot < 0
    ? { schema: 'public', name: table }
    : { schema: table.slice(0, dot), name: table.slice(dot + 1) };
}

const quote = (identifier: string) => `"${identifier.replaceAll('"', '""')}"`;
const qualified = (table: string) => {
  const { schema, name } = split(table);
  return `${quote(schema)}.${quote(name)}`;
};

/** The shadow table of live table `table` (same schema; PostgreSQL names stop at 63 bytes). */
export function shadowOf(table: string): string {
  const { schema, name } = split(table);
  return `${schema}.${name.slice(0, 63 - '__rebuild'.length)}__rebuild`;
}

/**
 * Creates an empty shadow of each live table: same columns, defaults, constraints and indexes
 * (`like … including all`) and the same per-column statistics targets (which `like` does not
 * copy: a document column kept out of ANALYZE stays out once the shadow is swapped in),
 * replacing what an earlier rebuild left behind.
 */
export async function createShadows(sql: Sql, tables: readonly string[]): Promise<void> {
  for (const table of tables) {
    const shadow = qualified(shadowOf(table));
    await sql.unsafe(`drop table if exists ${shadow}`);
    await sql.unsafe(`create table ${shadow} (like ${qualified(table)} including all)`);
    const targets = await sql<{ column: string; target: number }[]>`
      select attname as column, attstattarget as target from pg_attribute
      where attrelid = ${qualified(table)}::regclass and attnum > 0 and not attisdropped
        and attstattarget >= 0`;
    for (const { column, target } of targets)
      await sql.unsafe(
        `alter table ${shadow} alter column ${quote(column)} set statistics ${Number(target)}`,
      );
  }
}

/** Drops the shadow tables (a failed rebuild's). */
export async function dropShadows(sql: Sql, tables: readonly string[]): Promise<void> {
  for (const table of tables) await sql.unsafe(`drop table if exists ${qualified(shadowOf(table))}`);
}

interface IndexRow {
  name: string;
  definition: string;
}

/** An index's definition without its own name or its table's, so a shadow's index matches its live twin. */
const shape = (definition: string) =>
  definition.replace(/^CREATE (UNIQUE )?INDEX \S+ ON (ONLY )?\S+ /, 'CREATE $1INDEX _ ON _ ');

async function indexesOf(tx: postgres.TransactionSql, table: string): Promise<IndexRow[]> {
  return tx<IndexRow[]>`
    select c.relname as name, pg_get_indexdef(c.oid) as definition
    from pg_index i join pg_class c on c.oid = i.indexrelid
    where i.indrelid = ${qualified(table)}::regclass`;
}

/**
 * Swaps every shadow in, inside the caller's transaction: drops the live table and gives the
 * shadow its name and each shadow index its live twin's name (so the schema reads as the
 * migrations built it). Takes each live table's ACCESS EXCLUSIVE lock: a read waits for the
 * commit and then reads the new table; none sees a missing one.
 */
export async function swapShadows(tx: postgres.TransactionSql, tables: readonly string[]): Promise<void> {
  for (const table of tables) {
    await tx.unsafe(`lock table ${qualified(table)}, ${qualified(shadowOf(table))} in access exclusive mode`);
  }
  for (const table of tables) {
    const live = await indexesOf(tx, table);
    const shadow = await indexesOf(tx, shadowOf(table));
    await tx.unsafe(`drop table ${qualified(table)}`);
    await tx.unsafe(`alter table ${qualified(shadowOf(table))} rename to ${quote(split(table).name)}`);
    const { schema } = split(table);
    for (const index of shadow) {
      const twin = live.find((l) => shape(l.definition) === shape(index.definition));
      if (!twin) throw new Error(`shadow index ${index.name} of ${table} has no live twin`);
      if (twin.name !== index.name) {
        await tx.unsafe(`alter index ${quote(schema)}.${quote(index.name)} rename to ${quote(twin.name)}`);
      }
    }
  }
}
