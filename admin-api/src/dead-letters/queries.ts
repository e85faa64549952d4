// Reads of the dead-letter archive: filtered pages, groups by fingerprint, facets and one detail.
import { deadLetters, sagaInstances, type DbExecutor } from '@sagaport/db';
import { and, asc, count, desc, eq, gte, ilike, lt, max, min, or, sql, type SQL } from 'drizzle-orm';
import { z } from 'zod';
import { containsPattern } from '../filters.js';
import { cursor } from '../openapi.js';
import { checkReplay, type DeadLetterRow } from './replay.js';
import type { DeadLetterFilter } from './schemas.js';

/** The WHERE clause of a filter; every value is a bound parameter. */
export function whereOf(filter: DeadLetterFilter): SQL | undefined {
  const t = deadLetters;
  return and(
    filter.queue ? eq(t.originalQueue, filter.queue) : undefined,
    filter.messageType ? eq(t.messageType, filter.messageType) : undefined,
    filter.errorClass ? eq(t.errorClass, filter.errorClass) : undefined,
    filter.sagaId ? eq(t.sagaId, filter.sagaId) : undefined,
    filter.status ? eq(t.status, filter.status) : undefined,
    filter.fingerprint ? eq(t.fingerprint, filter.fingerprint) : undefined,
    filter.from ? gte(t.lastFailedAt, new Date(filter.from)) : undefined,
    filter.to ? lt(t.lastFailedAt, new Date(filter.to)) : undefined,
    filter.q
      ? or(
          ilike(t.errorMessage, containsPattern(filter.q)),
          ilike(t.messageId, containsPattern(filter.q)),
          ilike(t.body, containsPattern(filter.q)),
        )
      : undefined,
  );
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toSummary(row: DeadLetterRow) {
  return {
    id: row.id,
    deadLetterQueue: row.deadLetterQueue,
    originalQueue: row.originalQueue,
    messageId: row.messageId,
    messageType: row.messageType,
    sagaId: row.sagaId,
    errorClass: row.errorClass,
    errorName: row.errorName,
    errorMessage: row.errorMessage,
    attempts: row.attempts,
    firstFailedAt: row.firstFailedAt.toISOString(),
    lastFailedAt: row.lastFailedAt.toISOString(),
    failedBy: row.failedBy,
    fingerprint: row.fingerprint,
    status: row.status,
    archivedAt: row.archivedAt.toISOString(),
    replayedAt: iso(row.replayedAt),
    replayedBy: row.replayedBy,
    replayMessageId: row.replayMessageId,
  };
}

export class BadCursor extends Error {}

/** The sort key of a page's last row as this API writes it: the failure time (`toISOString`) and the id. */
const CursorKey = z.tuple([
  z
    .string()
    .regex(/^[1-9]\d{3}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/)
    // Only a real calendar date survives the round trip (no 31 February, no month 13).
    .refine((t) => {
      const date = new Date(t);
      return !Number.isNaN(date.getTime()) && date.toISOString() === t;
    }),
  z.uuid(),
]);

/** Reads a cursor; undefined when it is not one this API wrote. */
export function readDeadLetterCursor(value: string): [string, string] | undefined {
  const parsed = CursorKey.safeParse(cursor.decode(value));
  return parsed.success ? parsed.data : undefined;
}

/** A page of dead letters, newest failure first, continuing after `after`. */
export async function listDeadLetters(
  db: DbExecutor,
  filter: DeadLetterFilter,
  limit: number,
  after?: string,
) {
  const key = after === undefined ? undefined : readDeadLetterCursor(after);
  if (after !== undefined && !key) throw new BadCursor();
  const t = deadLetters;
  const afterKey = key
    ? sql`(${t.lastFailedAt}, ${t.id}) < (${new Date(key[0])}, ${key[1]}::uuid)`
    : undefined;
  const rows = await db
    .select()
    .from(t)
    .where(and(whereOf(filter), afterKey))
    .orderBy(desc(t.lastFailedAt), desc(t.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const last = page.at(-1);
  return {
    items: page.map(toSummary),
    nextCursor:
      rows.length > limit && last ? cursor.encode([last.lastFailedAt.toISOString(), last.id]) : null,
  };
}

/** Dead letters grouped by fingerprint, the largest group first. */
export async function groupDeadLetters(db: DbExecutor, filter: DeadLetterFilter, limit: number) {
  const t = deadLetters;
  const rows = await db
    .select({
      fingerprint: t.fingerprint,
      originalQueue: min(t.originalQueue),
      messageType: min(t.messageType),
      errorClass: min(t.errorClass),
      title: min(t.fingerprintText),
      count: count(),
      openCount: sql<number>`count(*) filter (where ${t.status} = 'open')::int`,
      firstSeen: min(t.firstFailedAt),
      lastSeen: max(t.lastFailedAt),
      sampleId: sql<string>`(array_agg(${t.id} order by ${t.lastFailedAt} desc))[1]`,
    })
    .from(t)
    .where(whereOf(filter))
    .groupBy(t.fingerprint)
    .orderBy(desc(count()), desc(max(t.lastFailedAt)))
    .limit(limit);
  return rows.map((r) => ({
    fingerprint: r.fingerprint,
    originalQueue: r.originalQueue ?? '',
    messageType: r.messageType ?? '',
    errorClass: r.errorClass ?? '',
    title: r.title ?? '',
    count: r.count,
    openCount: Number(r.openCount),
    firstSeen: new Date(r.firstSeen!).toISOString(),
    lastSeen: new Date(r.lastSeen!).toISOString(),
    sampleId: r.sampleId,
  }));
}

/** The values the filters can take, for the console's drop-downs. */
export async function deadLetterFacets(db: DbExecutor) {
  const distinct = async (
    column: typeof deadLetters.originalQueue | typeof deadLetters.messageType | typeof deadLetters.errorClass,
  ) =>
    (
      await db
        .selectDistinct({ v: sql<string>`${column}` })
        .from(deadLetters)
        .orderBy(asc(column))
        .limit(200)
    ).map((r) => r.v);
  return {
    queues: await distinct(deadLetters.originalQueue),
    messageTypes: await distinct(deadLetters.messageType),
    errorClasses: await distinct(deadLetters.errorClass),
  };
}

/** Everything the detail view shows about one dead letter; undefined when there is none. */
export async function deadLetterDetail(db: DbExecutor, id: string) {
  const [row] = await db.select().from(deadLetters).where(eq(deadLetters.id, id));
  if (!row) return undefined;
  const [saga] = row.sagaId
    ? await db
        .select({
          id: sagaInstances.id,
          status: sagaInstances.status,
          currentStep: sagaInstances.currentStep,
          state: sagaInstances.state,
        })
        .from(sagaInstances)
        .where(eq(sagaInstances.id, row.sagaId))
    : [];
  const later = await db
    .select()
    .from(deadLetters)
    .where(eq(deadLetters.replayOf, row.id))
    .orderBy(asc(deadLetters.lastFailedAt));
  const check = checkReplay(row, saga);
  let bodyJson: unknown = null;
  if (row.bodyEncoding === 'utf8') {
    try {
      bodyJson = JSON.parse(row.body);
    } catch {
      bodyJson = null;
    }
  }
  const deaths = row.headers['x-death'];
  return {
    ...toSummary(row),
    originalExchange: row.originalExchange,
    originalRoutingKey: row.originalRoutingKey,
    headers: row.headers,
    properties: row.properties,
    body: row.body,
    bodyEncoding: row.bodyEncoding,
    bodyJson,
    errorStack: row.errorStack,
    deathHistory: Array.isArray(deaths) ? (deaths as Record<string, unknown>[]) : [],
    replayOf: row.replayOf,
    replayEdited: row.replayEdited,
    discardedAt: iso(row.discardedAt),
    discardedBy: row.discardedBy,
    discardReason: row.discardReason,
    laterFailures: later.map(toSummary),
    saga: saga ? { id: saga.id, status: saga.status, currentStep: saga.currentStep } : null,
    replayable: check.ok ? { ok: true } : { ok: false, reason: check.detail },
  };
}
