// `saga.instances` rebuilt from `saga.events`: compared with the live rows, or written over them.
import type postgres from 'postgres';
import { terminalStatuses } from './types.js';

type Sql = postgres.Sql | postgres.TransactionSql;

/** The columns of `saga.instances`, each of which the rebuild reproduces. */
export const rebuiltColumns = [
  'saga_type',
  'status',
  'current_step',
  'state',
  'version',
  'outcome',
  'failure_reason',
  'deadline_at',
  'business_keys',
  'created_at',
  'updated_at',
  'ended_at',
] as const;
export type RebuiltColumn = (typeof rebuiltColumns)[number];

/** What a comparison of one page of sagas found. */
export interface PageComparison {
  /** Sagas of the page that have events (the rebuildable ones). */
  readonly sagas: number;
  /** Of those, rows equal in every column. */
  readonly identical: number;
  /** Rows that differ, with the columns that differ. */
  readonly differing: readonly { readonly id: string; readonly columns: readonly RebuiltColumn[] }[];
  /** Sagas with events but no row. */
  readonly missing: readonly string[];
  /**
   * Sagas whose events do not hold their newest state (written before the log carried it, or
   * their `saga.started` row pruned): not rebuildable, left alone.
   */
  readonly withoutState: readonly string[];
  /** The last saga id of the page: the next page starts after it; null when this was the last. */
  readonly next: string | null;
}

/**
 * Each saga's row as its events say: the state and deadline of its newest state change (the
 * last row each transition writes carries them), the version of that transition, its time as
 * `updated_at` (and `ended_at` when the state is terminal), the saga type, business keys and
 * time of `saga.started`; status, step, outcome and failure follow from the state as the engine
 * writes them. For the sagas `ids`.
 */
function rebuiltRows(sql: Sql, ids: readonly string[]) {
  return sql`
    select e.saga_id as id,
      (array_agg(e.detail ->> 'sagaType') filter (where e.kind = 'saga.started'))[1] as saga_type,
      (array_agg(e.detail -> 'keys') filter (where e.kind = 'saga.started'))[1] as business_keys,
      min(e.created_at) filter (where e.kind = 'saga.started') as created_at,
      (array_agg(e.state order by e.version desc, e.id desc) filter (where e.state is not null))[1] as state,
      (array_agg(e.deadline_at order by e.version desc, e.id desc) filter (where e.state is not null))[1] as deadline_at,
      max(e.version) filter (where e.state is not null) as version,
      max(e.version) as last_version,
      (array_agg(e.created_at order by e.version desc, e.id desc) filter (where e.state is not null))[1] as updated_at
    from saga.events e
    where e.saga_id = any(${sql.array([...ids], 2950)}::uuid[])
    group by e.saga_id`;
}

/** The rebuilt rows of `ids` with every column of `saga.instances` derived, as a query fragment. */
function derivedRows(sql: Sql, ids: readonly string[]) {
  return sql`
    select r.id, r.saga_type, r.state ->> 'status' as status, r.state -> 'awaiting' ->> 'step' as current_step,
      r.state, r.version,
      case when r.state ->> 'status' = any(${sql.array([...terminalStatuses], 25)}::text[])
        then r.state ->> 'status' end as outcome,
      case when jsonb_typeof(r.state -> 'failure') = 'object' then jsonb_build_object(
        'code', r.state -> 'failure' -> 'code', 'message', r.state -> 'failure' -> 'message') end as failure_reason,
      r.deadline_at, coalesce(r.business_keys, '{}'::jsonb) as business_keys, r.created_at, r.updated_at,
      case when r.state ->> 'status' = any(${sql.array([...terminalStatuses], 25)}::text[])
        then r.updated_at end as ended_at
    from (${rebuiltRows(sql, ids)}) r
    -- A state change logged without its state (an orchestrator older than the log's state
    -- column, during an upgrade) makes the newest state unknown: not rebuildable, never applied.
    where r.state is not null and r.saga_type is not null and r.version = r.last_version`;
}

/** Up to `limit` saga ids that have events, after `after` (in id order). */
async function pageOfSagaIds(sql: postgres.Sql, after: string | null, limit: number): Promise<string[]> {
  // Through events_saga_idx (saga_id, id): reads the events of these sagas only.
  const rows = await sql<{ id: string }[]>`
    select distinct saga_id as id from saga.events
    where ${after === null ? sql`true` : sql`saga_id > ${after}::uuid`}
    order by saga_id limit ${limit}`;
  return rows.map((r) => r.id);
}

const differs = (column: RebuiltColumn) => `(i.${column} is distinct from b.${column}) as "${column}"`;

/** Compares one page of sagas (the `limit` after `after`) with their rows in `saga.instances`. */
export async function comparePage(
  sql: postgres.Sql,
  after: string | null,
  limit = 1_000,
): Promise<PageComparison> {
  const ids = await pageOfSagaIds(sql, after, limit);
  if (ids.length === 0)
    return { sagas: 0, identical: 0, differing: [], missing: [], withoutState: [], next: null };
  const rows = await sql<
    ({ id: string; found: boolean; rebuilt: boolean } & Record<RebuiltColumn, boolean>)[]
  >`
    select ids.id, i.id is not null as found, b.id is not null as rebuilt,
      ${sql.unsafe(rebuiltColumns.map(differs).join(', '))}
    from unnest(${sql.array(ids, 2950)}::uuid[]) as ids(id)
    left join saga.instances i on i.id = ids.id
    left join (${derivedRows(sql, ids)}) b on b.id = ids.id`;
  const differing: { id: string; columns: RebuiltColumn[] }[] = [];
  const missing: string[] = [];
  const withoutState: string[] = [];
  let identical = 0;
  for (const row of rows) {
    if (!row.rebuilt) withoutState.push(row.id);
    else if (!row.found) missing.push(row.id);
    else {
      const columns = rebuiltColumns.filter((c) => row[c]);
      if (columns.length === 0) identical += 1;
      else differing.push({ id: row.id, columns });
    }
  }
  return {
    sagas: ids.length,
    identical,
    differing,
    missing,
    withoutState,
    next: ids.length < limit ? null : ids.at(-1)!,
  };
}

/**
 * Writes the rebuilt rows of `ids` over `saga.instances` (inserting missing ones) in one
 * transaction; returns how many rows it wrote. The live rows are locked first and the events
 * read after, so a transition committed meanwhile is part of what is written. Run it with the
 * orchestrators stopped: a transition that read a damaged row before the lock, at the version the
 * repair keeps, would pass its version check and write its result over the repair. Rows already
 * equal are not touched.
 */
export async function applyRebuilt(sql: postgres.Sql, ids: readonly string[]): Promise<number> {
  if (ids.length === 0) return 0;
  const written = await sql.begin(async (tx) => {
    await tx`select id from saga.instances where id = any(${tx.array([...ids], 2950)}::uuid[]) order by id for update`;
    return tx`
      insert into saga.instances (id, ${tx.unsafe(rebuiltColumns.join(', '))})
      select id, ${tx.unsafe(rebuiltColumns.join(', '))} from (${derivedRows(tx, ids)}) b
      on conflict (id) do update set ${tx.unsafe(rebuiltColumns.map((c) => `${c} = excluded.${c}`).join(', '))}
      where (${tx.unsafe(rebuiltColumns.map((c) => `saga.instances.${c}`).join(', '))})
        is distinct from (${tx.unsafe(rebuiltColumns.map((c) => `excluded.${c}`).join(', '))})
      returning id`;
  });
  return written.length;
}

const MAX_EXAMPLES = 10;

export interface RebuildSummary {
  mode: 'compare' | 'apply';
  sagas: number;
  identical: number;
  differing: number;
  missing: number;
  without_state: number;
  rows_without_events: number;
  written: number;
  columns: Partial<Record<RebuiltColumn, number>>;
  examples: { id: string; columns: readonly RebuiltColumn[] | 'missing' }[];
  seconds: number;
}

/** Runs the comparison (and with `apply`, the rewrite) over every saga; `progress` gets a line per page. */
export async function rebuildSagas(
  sql: postgres.Sql,
  options: { apply: boolean; pageSize?: number; progress?: (line: string) => void },
): Promise<RebuildSummary> {
  const started = performance.now();
  const summary: RebuildSummary = {
    mode: options.apply ? 'apply' : 'compare',
    sagas: 0,
    identical: 0,
    differing: 0,
    missing: 0,
    without_state: 0,
    rows_without_events: 0,
    written: 0,
    columns: {},
    examples: [],
    seconds: 0,
  };
  let after: string | null = null;
  do {
    const page = await comparePage(sql, after, options.pageSize ?? 1_000);
    summary.sagas += page.sagas;
    summary.identical += page.identical;
    summary.differing += page.differing.length;
    summary.missing += page.missing.length;
    summary.without_state += page.withoutState.length;
    for (const { id, columns } of page.differing) {
      for (const column of columns) summary.columns[column] = (summary.columns[column] ?? 0) + 1;
      if (summary.examples.length < MAX_EXAMPLES) summary.examples.push({ id, columns });
    }
    for (const id of page.missing)
      if (summary.examples.length < MAX_EXAMPLES) summary.examples.push({ id, columns: 'missing' });
    if (options.apply)
      summary.written += await applyRebuilt(sql, [...page.differing.map((d) => d.id), ...page.missing]);
    options.progress?.(
      `${summary.mode}: ${summary.sagas} sagas: ${summary.identical} identical, ${summary.differing} differ, ` +
        `${summary.missing} missing, ${summary.without_state} without state` +
        (options.apply ? `, ${summary.written} written` : ''),
    );
    after = page.next;
  } while (after !== null);
  const [orphans] = await sql<{ n: number }[]>`
    select count(*)::int as n from saga.instances i
    where not exists (select 1 from saga.events e where e.saga_id = i.id)`;
  summary.rows_without_events = orphans?.n ?? 0;
  summary.seconds = Math.round((performance.now() - started) / 10) / 100;
  return summary;
}
