// Integration tests of the table maintenance against the real PostgreSQL: what it vacuums, what it only analyzes.
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@sagaport/db/testing';
import { silentLogger } from '@sagaport/rabbitmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TableMaintenance } from './table-maintenance.js';

describe('table maintenance', () => {
  let database: MigratedTestDatabase;
  beforeAll(async () => {
    database = await createMigratedTestDatabase(2, 'table-maintenance');
  });
  afterAll(async () => {
    await database.dispose();
  });

  /** When each table was last vacuumed and analyzed by hand (null: never). */
  async function history(tables: string[]) {
    await database.sql`select pg_stat_clear_snapshot()`;
    const rows = await database.sql<{ name: string; vacuumed: boolean; analyzed: boolean }[]>`
      select schemaname || '.' || relname as name, last_vacuum is not null as vacuumed,
        last_analyze is not null as analyzed
      from pg_stat_user_tables where schemaname || '.' || relname = any(${tables}::text[])
      order by 1`;
    return Object.fromEntries(rows.map((r) => [r.name, { vacuumed: r.vacuumed, analyzed: r.analyzed }]));
  }

  /**
   * Runs maintenance passes until `count` tables were maintained (up to 5 s): the statistics
   * PostgreSQL keeps reach pg_stat_user_tables when a backend reports them. Returns their names.
   */
  async function passUntil(maintenance: TableMaintenance, count: number): Promise<string[]> {
    let done: string[] = [];
    for (let attempt = 0; attempt < 50 && done.length < count; attempt += 1) {
      await database.sql`select pg_stat_clear_snapshot()`;
      done = [...done, ...(await maintenance.pass())];
      if (done.length < count) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return done;
  }

  it('vacuums a table with dead rows and only analyzes one that grew', async () => {
    const { sql } = database;
    await sql`create table public.churned (id int primary key, n int)`;
    await sql`create table public.grown (id int primary key)`;
    await sql`insert into public.churned select g, 0 from generate_series(1, 300) g`;
    await sql`update public.churned set n = n + 1`; // 300 dead rows
    await sql`insert into public.grown select g from generate_series(1, 300) g`; // grew, nothing dead
    const maintenance = new TableMaintenance({
      sql,
      tables: ['public.churned', 'public.grown'],
      mode: 'on',
      deadRowThreshold: 100,
      logger: silentLogger,
    });
    expect((await passUntil(maintenance, 2)).sort()).toEqual(['public.churned', 'public.grown']);
    expect(await history(['public.churned', 'public.grown'])).toEqual({
      'public.churned': { vacuumed: true, analyzed: true },
      'public.grown': { vacuumed: false, analyzed: true },
    });
  });

  it('vacuums a churning table without sampling it again while its statistics still hold', async () => {
    const { sql } = database;
    await sql`create table public.steady (id int primary key, n int)`;
    await sql`insert into public.steady select g, 0 from generate_series(1, 1000) g`;
    await sql`analyze public.steady`;
    await sql`update public.steady set n = n + 1 where id <= 200`; // 200 dead rows, a fifth changed
    const counts = async () => {
      await sql`select pg_stat_clear_snapshot()`;
      const [row] = await sql<{ vacuums: number; analyzes: number }[]>`
        select vacuum_count::int as vacuums, analyze_count::int as analyzes
        from pg_stat_user_tables where schemaname = 'public' and relname = 'steady'`;
      return row!;
    };
    expect(await counts()).toEqual({ vacuums: 0, analyzes: 1 });
    const maintenance = new TableMaintenance({
      sql,
      tables: ['public.steady'],
      mode: 'on',
      deadRowThreshold: 100,
      logger: silentLogger,
    });
    expect(await passUntil(maintenance, 1)).toEqual(['public.steady']);
    expect(await counts()).toEqual({ vacuums: 1, analyzes: 1 });
  });
});
