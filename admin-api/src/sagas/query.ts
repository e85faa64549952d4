// How a saga is read for the console: the summary columns, "stuck", and one saga's detail.
import { deadLetters, sagaInstances, type DbExecutor } from '@sagaport/db';
import { and, type AnyColumn, eq, inArray, sql, type SQL } from 'drizzle-orm';
import type { SagaStatus } from '../orchestration.js';
import type { SagaDetail, SagaSummary } from './schemas.js';

const s = sagaInstances;

/** A timestamp as ISO 8601 UTC with microseconds: exact enough for keyset cursors and ordering. */
export function isoMicros(column: AnyColumn): SQL<string> {
  return sql<string>`to_char(${column} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`;
}

/** {@link isoMicros} of a nullable column. */
export const isoMicrosOrNull = (column: AnyColumn) => isoMicros(column) as SQL<string | null>;

/** Failed, or running/compensating past its step deadline (the timeout scanner has not moved it). */
export const stuckCondition: SQL = sql`(${s.status} = 'failed' or (${s.status} in ('running', 'compensating') and ${s.deadlineAt} is not null and ${s.deadlineAt} < now()))`;

/** The columns of a SagaSummary, computed in one row per saga. */
export const summaryColumns = {
  id: s.id,
  type: s.sagaType,
  status: s.status,
  currentStep: s.currentStep,
  businessKeys: s.businessKeys,
  totalCents: sql<number | null>`(${s.state} -> 'data' ->> 'totalCents')::int`,
  currency: sql<string | null>`${s.state} -> 'data' ->> 'currency'`,
  createdAt: s.createdAt,
  updatedAt: s.updatedAt,
  endedAt: s.endedAt,
  deadlineAt: s.deadlineAt,
  failureReason: s.failureReason,
  stuck: sql<boolean>`${stuckCondition}`,
  /** The keyset cursor's time, at full precision (not part of the summary). */
  createdAtKey: isoMicros(s.createdAt),
};

/** Sagas with their summary columns; add `.where(…)`, `.orderBy(…)` and `.limit(…)`. */
export function selectSummaries(db: DbExecutor) {
  return db.select(summaryColumns).from(s);
}

type SummaryRow = Awaited<ReturnType<typeof selectSummaries>>[number];

const iso = (value: Date | null) => (value ? value.toISOString() : null);

/** The API's view of a summary row. */
function toSummary(row: SummaryRow, openDeadLetters: number): SagaSummary {
  return {
    id: row.id,
    type: row.type,
    status: row.status as SagaStatus,
    currentStep: row.currentStep,
    businessKeys: row.businessKeys,
    orderId: row.businessKeys.orderId ?? null,
    customerId: row.businessKeys.customerId ?? null,
    email: row.businessKeys.email ?? null,
    totalCents: row.totalCents,
    currency: row.currency,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
    endedAt: iso(row.endedAt),
    deadlineAt: iso(row.deadlineAt),
    failureReason: row.failureReason ?? null,
    stuck: row.stuck,
    openDeadLetters,
  };
}

/** Summaries of `rows`, with the count of each saga's open dead letters (one more query). */
export async function toSummaries(db: DbExecutor, rows: readonly SummaryRow[]): Promise<SagaSummary[]> {
  if (rows.length === 0) return [];
  const counts = await db
    .select({ sagaId: deadLetters.sagaId, n: sql<number>`count(*)::int` })
    .from(deadLetters)
    .where(
      and(
        inArray(
          deadLetters.sagaId,
          rows.map((r) => r.id),
        ),
        eq(deadLetters.status, 'open'),
      ),
    )
    .groupBy(deadLetters.sagaId);
  const open = new Map(counts.map((c) => [c.sagaId, c.n]));
  return rows.map((row) => toSummary(row, open.get(row.id) ?? 0));
}

/** One saga with its version and full state, or undefined when there is none with this id. */
export async function loadSagaDetail(db: DbExecutor, id: string): Promise<SagaDetail | undefined> {
  const [row] = await db
    .select({ ...summaryColumns, version: s.version, state: s.state })
    .from(s)
    .where(eq(s.id, id));
  if (!row) return undefined;
  const [summary] = await toSummaries(db, [row]);
  return { ...summary!, version: row.version, state: row.state };
}
