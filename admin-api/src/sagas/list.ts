// GET /sagas: filters as drizzle conditions, newest first, keyset pagination on (created_at, id).
import { foldedBusinessKeys, sagaInstances, type DbExecutor } from '@sagaport/db';
import { and, desc, eq, not, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { cursor } from '../openapi.js';
import { selectSummaries, stuckCondition, toSummaries } from './query.js';
import type { SagaListQuery, SagaSummary } from './schemas.js';

const s = sagaInstances;

/** The sort key of a page's last row: created_at with microseconds, and the id. */
const CursorKey = z.tuple([
  z
    .string()
    .regex(/^[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/)
    // A calendar date PostgreSQL accepts: no month 13, no 31 February.
    .refine((t) => {
      const date = new Date(`${t.slice(0, 23)}Z`);
      return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 23) === t.slice(0, 23);
    }),
  z.uuid(),
]);

/** Reads a cursor; undefined when it is not one this API wrote. */
export function readCursor(value: string): [string, string] | undefined {
  const parsed = CursorKey.safeParse(cursor.decode(value));
  return parsed.success ? parsed.data : undefined;
}

/**
 * Matches a saga id (when `q` is a uuid) or any business key of the registered sagas equal to
 * `q` ignoring case: one containment test per key name, each served by the
 * `instances_business_keys_idx` GIN index on the lower-cased keys.
 */
export function searchCondition(q: string, keyNames: readonly string[]): SQL | undefined {
  const folded = q.toLowerCase();
  const byKey = keyNames.map(
    (name) => sql`${foldedBusinessKeys} @> ${JSON.stringify({ [name.toLowerCase()]: folded })}::jsonb`,
  );
  if (!z.uuid().safeParse(q).success) return or(...byKey);
  return or(eq(s.id, q), ...byKey);
}

/** Sagas waiting on `step`: the first command in flight, or another command of the same stage. */
function stepCondition(step: string): SQL | undefined {
  return or(eq(s.currentStep, step), sql`${s.state} -> 'alongside' @> ${JSON.stringify([{ step }])}::jsonb`);
}

function conditions(
  query: SagaListQuery,
  after: [string, string] | undefined,
  keyNames: readonly string[],
): SQL | undefined {
  return and(
    query.type ? eq(s.sagaType, query.type) : undefined,
    query.status ? eq(s.status, query.status) : undefined,
    query.step ? stepCondition(query.step) : undefined,
    query.stuck === undefined ? undefined : query.stuck === 'true' ? stuckCondition : not(stuckCondition),
    query.olderThanSeconds === undefined
      ? undefined
      : sql`${s.createdAt} < now() - make_interval(secs => ${query.olderThanSeconds}::double precision)`,
    query.q ? searchCondition(query.q, keyNames) : undefined,
    after ? sql`(${s.createdAt}, ${s.id}) < (${after[0]}::timestamptz, ${after[1]}::uuid)` : undefined,
  );
}

/** One page of sagas matching `query`, after the `after` key, newest first; `keyNames` are the business keys `q` searches. */
export async function listSagas(
  db: DbExecutor,
  query: SagaListQuery,
  after: [string, string] | undefined,
  keyNames: readonly string[],
): Promise<{ items: SagaSummary[]; nextCursor: string | null }> {
  const rows = await selectSummaries(db)
    .where(conditions(query, after, keyNames))
    .orderBy(desc(s.createdAt), desc(s.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page.at(-1);
  return {
    items: await toSummaries(db, page),
    nextCursor: rows.length > query.limit && last ? cursor.encode([last.createdAtKey, last.id]) : null,
  };
}
