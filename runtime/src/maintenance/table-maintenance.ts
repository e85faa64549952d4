// Keeps the tables that churn small where PostgreSQL's autovacuum is off or too slow: vacuums them by dead-row count.
import type postgres from 'postgres';
import type { Logger } from '@sagaport/rabbitmq';

/**
 * Key of the session advisory lock a vacuum pass holds ('SGPVACUM' in ASCII), so several
 * processes never vacuum at once; sent as text and cast, postgres.js has no bigint parameter.
 */
const VACUUM_LOCK_KEY = 0x5347505641435556n.toString();

/** When the maintenance vacuums: `auto` only where autovacuum is off, `on` always, `off` never. */
export type TableMaintenanceMode = 'auto' | 'on' | 'off';

export interface TableMaintenanceOptions {
  readonly sql: postgres.Sql;
  /** Schema-qualified names of the tables to watch (`public.outbox`, `saga.instances`). */
  readonly tables: readonly string[];
  readonly mode?: TableMaintenanceMode;
  /** How often dead rows are counted. */
  readonly intervalMs?: number;
  /** A table with at least this many dead rows is vacuumed. */
  readonly deadRowThreshold?: number;
  /** Lower thresholds for small tables whose few rows are updated all the time (the stock). */
  readonly thresholds?: Readonly<Record<string, number>>;
  readonly logger: Logger;
  /** Called after each vacuum (metrics). */
  readonly onVacuum?: (table: string, deadRows: number, durationMs: number) => void;
}

/**
 * Every churning row (an outbox row published and deleted, a saga row updated at each step, an
 * inbox row given its reply) leaves a dead tuple. Without vacuum, tables and their indexes grow
 * and every scan slows down: a 120 s benchmark lost about half its throughput with autovacuum
 * off. This loop reads the dead-row counts PostgreSQL keeps anyway (`pg_stat_user_tables`) and
 * runs a plain `VACUUM` (which takes no lock that blocks reads or writes) on each table past the
 * threshold, under an advisory lock so one process vacuums at a time.
 */
export class TableMaintenance {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private enabled: boolean | undefined;

  constructor(private readonly options: TableMaintenanceOptions) {}

  start(): void {
    if (this.options.mode === 'off') return;
    this.timer = setInterval(() => {
      this.running ??= this.pass()
        .then(() => undefined)
        .catch((error: unknown) =>
          this.options.logger.warn({ err: error }, 'table maintenance failed; next pass retries'),
        )
        .finally(() => (this.running = undefined));
    }, this.options.intervalMs ?? 2_000);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** One pass: vacuums (or only analyzes) every watched table past its threshold; returns their names. */
  async pass(): Promise<string[]> {
    const { sql, tables } = this.options;
    this.enabled ??=
      this.options.mode === 'on' ||
      (await sql<{ setting: string }[]>`select current_setting('autovacuum') as setting`)[0]?.setting ===
        'off';
    if (!this.enabled) return [];
    const counted = await sql<
      { name: string; dead: number; changed: number; live: number; sampled: number }[]
    >`
      select s.schemaname || '.' || s.relname as name, s.n_dead_tup::int as dead,
        s.n_mod_since_analyze::int as changed, s.n_live_tup::int as live, c.reltuples::float8 as sampled
      from pg_stat_user_tables s join pg_class c on c.oid = s.relid
      where s.schemaname || '.' || s.relname = any(${sql.array([...tables], 25)}::text[])
      order by s.n_dead_tup desc`;
    const due = counted.flatMap(({ name, dead, changed, live, sampled }) => {
      const vacuum = dead >= (this.options.thresholds?.[name] ?? this.options.deadRowThreshold ?? 2_000);
      const analyze = needsStatistics(live, changed, sampled);
      return vacuum || analyze ? [{ name, dead, vacuum, analyze }] : [];
    });
    if (due.length === 0) return [];
    const connection = await sql.reserve();
    try {
      const [lock] = await connection<
        { locked: boolean }[]
      >`select pg_try_advisory_lock(${VACUUM_LOCK_KEY}::bigint) as locked`;
      if (!lock?.locked) return [];
      try {
        for (const { name, dead, vacuum, analyze } of due) {
          const started = performance.now();
          // VACUUM takes no parameters; the name comes from pg_stat_user_tables and our own list.
          // ANALYZE too: without autovacuum nothing else keeps the planner's statistics current.
          // A vacuum analyzes only when the statistics are due by the same rule: ANALYZE samples
          // up to 30,000 rows, and a churning table (the outbox, the saga rows) is vacuumed every
          // few seconds under load while its statistics barely move.
          if (!vacuum) {
            await connection.unsafe(`analyze ${quoteQualified(name)}`);
            continue;
          }
          await connection.unsafe(`vacuum ${analyze ? '(analyze) ' : ''}${quoteQualified(name)}`);
          const durationMs = performance.now() - started;
          this.options.onVacuum?.(name, dead, durationMs);
        }
        return due.map((d) => d.name);
      } finally {
        await connection`select pg_advisory_unlock(${VACUUM_LOCK_KEY}::bigint)`;
      }
    } finally {
      connection.release();
    }
  }
}

/**
 * Whether a table needs ANALYZE (and not a vacuum): it has rows and was never analyzed, it has
 * doubled since its statistics were taken (`sampled` is `pg_class.reltuples`, -1 before the first
 * ANALYZE), or its rows changed four times over. The planner scales its row estimates with the
 * table's size on disk, so statistics matter when a table grows from empty (a plan made while it
 * was empty reads it whole) and when its values move, not at every tenth of growth: autovacuum's
 * rule (50 rows + 10 % changed) analyzed the growing inbox about ten times in a 20-second run.
 */
export function needsStatistics(live: number, changed: number, sampled: number): boolean {
  if (sampled < 0) return live >= 50;
  return live >= 2 * sampled + 100 || changed >= 50 + 4 * Math.max(live, sampled);
}

/** `schema.table` as a quoted identifier pair; refuses anything else. */
function quoteQualified(name: string): string {
  const parts = name.split('.');
  if (parts.length !== 2 || parts.some((p) => !/^[a-z_][a-z0-9_]*$/.test(p))) {
    throw new Error(`not a plain schema-qualified table name: ${name}`);
  }
  return parts.map((p) => `"${p}"`).join('.');
}
