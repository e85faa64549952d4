// A saga's timeline: its event log, the retries and dead letters of its messages, and the audit rows naming it, in time order.
import { auditLog, deadLetters, messageRetries, sagaEvents, type DbExecutor } from '@sagaport/db';
import { and, asc, eq } from 'drizzle-orm';
import { isoMicros, isoMicrosOrNull } from './query.js';
import { TimelineSource, type TimelineEntry } from './schemas.js';

/** Times are ISO 8601 UTC strings with microseconds (fixed width, so they sort as text). */
export interface TimelineSources {
  readonly events: readonly {
    at: string;
    kind: string;
    messageType: string | null;
    messageId: string | null;
    detail: unknown;
  }[];
  readonly retries: readonly {
    at: string;
    messageType: string;
    messageId: string;
    queue: string;
    nextAttempt: number;
    tier: string;
    delayMs: number | null;
    errorClass: string;
    errorMessage: string;
    failedBy: string;
  }[];
  readonly deadLetters: readonly {
    id: string;
    messageType: string;
    messageId: string;
    originalQueue: string;
    errorClass: string;
    errorMessage: string;
    attempts: number;
    lastFailedAt: string;
    replayedAt: string | null;
    replayedBy: string | null;
    replayMessageId: string | null;
    replayEdited: boolean | null;
    discardedAt: string | null;
    discardedBy: string | null;
    discardReason: string | null;
  }[];
  readonly audit: readonly {
    at: string;
    id: number;
    actorEmail: string;
    action: string;
    detail: Record<string, unknown> | null;
  }[];
}

type DeadLetterRow = TimelineSources['deadLetters'][number];

function deadLetterEntries(d: DeadLetterRow): TimelineEntry[] {
  const entry = (at: string, kind: string, messageId: string, detail: unknown): TimelineEntry => ({
    at,
    kind,
    source: TimelineSource.deadLetter,
    messageType: d.messageType,
    messageId,
    detail,
  });
  const { id, errorClass, errorMessage, attempts } = d;
  const entries = [
    entry(d.lastFailedAt, 'dead-letter.archived', d.messageId, {
      id,
      queue: d.originalQueue,
      errorClass,
      errorMessage,
      attempts,
    }),
  ];
  if (d.replayedAt) {
    const detail = {
      id,
      replayMessageId: d.replayMessageId,
      replayedBy: d.replayedBy,
      edited: d.replayEdited ?? false,
    };
    entries.push(entry(d.replayedAt, 'dead-letter.replayed', d.replayMessageId ?? d.messageId, detail));
  }
  if (d.discardedAt) {
    const detail = { id, discardedBy: d.discardedBy, reason: d.discardReason };
    entries.push(entry(d.discardedAt, 'dead-letter.discarded', d.messageId, detail));
  }
  return entries;
}

/**
 * Merges the four sources into one list ordered by time. The sort is stable and the sources
 * go in as saga, retry, dead letter, audit: events of one transaction (same time) keep their
 * log order, and an operator's saga event comes before the audit row written with it.
 */
export function mergeTimeline(sources: TimelineSources): TimelineEntry[] {
  const entries: TimelineEntry[] = [
    ...sources.events.map((e) => ({ ...e, source: TimelineSource.saga })),
    ...sources.retries.map(({ at, messageType, messageId, ...detail }) => ({
      at,
      kind: 'retry.scheduled',
      source: TimelineSource.retry,
      messageType,
      messageId,
      detail,
    })),
    ...sources.deadLetters.flatMap(deadLetterEntries),
    ...sources.audit.map(({ at, action, ...detail }) => ({
      at,
      kind: action,
      source: TimelineSource.audit,
      messageType: null,
      messageId: null,
      detail: { action, ...detail },
    })),
  ];
  return entries.sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
}

const eventColumns = {
  at: isoMicros(sagaEvents.createdAt),
  kind: sagaEvents.kind,
  messageType: sagaEvents.messageType,
  messageId: sagaEvents.messageId,
  detail: sagaEvents.detail,
};

const r = messageRetries;
const retryColumns = {
  at: isoMicros(r.failedAt),
  messageType: r.messageType,
  messageId: r.messageId,
  queue: r.queue,
  nextAttempt: r.nextAttempt,
  tier: r.tier,
  delayMs: r.delayMs,
  errorClass: r.errorClass,
  errorMessage: r.errorMessage,
  failedBy: r.failedBy,
};

const d = deadLetters;
const deadLetterColumns = {
  id: d.id,
  messageType: d.messageType,
  messageId: d.messageId,
  originalQueue: d.originalQueue,
  errorClass: d.errorClass,
  errorMessage: d.errorMessage,
  attempts: d.attempts,
  lastFailedAt: isoMicros(d.lastFailedAt),
  replayedAt: isoMicrosOrNull(d.replayedAt),
  replayedBy: d.replayedBy,
  replayMessageId: d.replayMessageId,
  replayEdited: d.replayEdited,
  discardedAt: isoMicrosOrNull(d.discardedAt),
  discardedBy: d.discardedBy,
  discardReason: d.discardReason,
};

const auditColumns = {
  at: isoMicros(auditLog.at),
  id: auditLog.id,
  actorEmail: auditLog.actorEmail,
  action: auditLog.action,
  detail: auditLog.detail,
};

/** Reads the four sources of saga `sagaId`. */
export async function loadTimelineSources(db: DbExecutor, sagaId: string): Promise<TimelineSources> {
  const [events, retries, letters, audit] = await Promise.all([
    db.select(eventColumns).from(sagaEvents).where(eq(sagaEvents.sagaId, sagaId)).orderBy(asc(sagaEvents.id)),
    db.select(retryColumns).from(r).where(eq(r.sagaId, sagaId)).orderBy(asc(r.failedAt)),
    db.select(deadLetterColumns).from(d).where(eq(d.sagaId, sagaId)).orderBy(asc(d.lastFailedAt)),
    db
      .select(auditColumns)
      .from(auditLog)
      .where(and(eq(auditLog.targetType, 'saga'), eq(auditLog.targetId, sagaId)))
      .orderBy(asc(auditLog.id)),
  ]);
  return { events, retries, deadLetters: letters, audit };
}

/** Saga `sagaId`'s timeline, oldest first. */
export async function loadTimeline(db: DbExecutor, sagaId: string): Promise<TimelineEntry[]> {
  return mergeTimeline(await loadTimelineSources(db, sagaId));
}
