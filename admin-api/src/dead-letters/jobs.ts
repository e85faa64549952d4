// Bulk replay jobs as the API sees them: create (validated, bounded per operator), cancel, list, one job's page of items.
import {
  deadLetters,
  replayJobItems,
  replayJobs,
  type Database,
  type DbExecutor,
  type ReplayJobStatus,
} from '@sagaport/db';
import { and, asc, desc, eq, gt, inArray, sql } from 'drizzle-orm';
import { recordAudit } from '../audit/record.js';
import type { Actor } from '../env.js';
import { whereOf } from './queries.js';
import type { CreateReplayJob, ReplayJobItemStatus, ReplayJobSelector } from './schemas.js';

/** NOTIFY channel that wakes the runners when a job is created or handed back. */
export const REPLAY_JOBS_CHANNEL = 'sagaport_replay_jobs';
const MAX_JOB_SIZE = 10_000;
/** Statuses of a job that still holds a place in its operator's quota. */
const OPEN_STATUSES: ReplayJobStatus[] = ['queued', 'running'];

export type JobRow = typeof replayJobs.$inferSelect;

/**
 * What a job selected, in a few bytes: how many ids, or the group, or the filter. Rows written
 * before summaries were stored hold the request itself (`ids` being up to 10,000 uuids).
 */
export function summarizeSelector(selector: Record<string, unknown>): ReplayJobSelector {
  if (selector.kind === 'ids' && typeof selector.count === 'number')
    return { kind: 'ids', count: selector.count };
  if (Array.isArray(selector.ids)) return { kind: 'ids', count: selector.ids.length };
  const fingerprint = selector.fingerprint;
  if (typeof fingerprint === 'string') return { kind: 'fingerprint', fingerprint };
  const filter = (selector.filter ?? {}) as Record<string, unknown>;
  return {
    kind: 'filter',
    filter: Object.fromEntries(
      Object.entries(filter).filter((e): e is [string, string] => typeof e[1] === 'string'),
    ),
  };
}

export function toJob(row: JobRow) {
  const iso = (d: Date | null) => (d ? d.toISOString() : null);
  return {
    id: row.id,
    status: row.status,
    createdBy: row.createdBy,
    createdAt: row.createdAt.toISOString(),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    ratePerSecond: row.ratePerSecond,
    total: row.total,
    replayed: row.replayed,
    skipped: row.skipped,
    failed: row.failed,
    selector: summarizeSelector(row.selector),
  };
}

/** Why a job was not created. */
export type JobRefusal =
  | { readonly reason: 'unknown-ids'; readonly unknownIds: readonly string[] }
  | { readonly reason: 'nothing-open' }
  | { readonly reason: 'too-many-open'; readonly openJobIds: readonly string[]; readonly limit: number };

/** The dead letters a request selects, oldest failure first, capped at 10,000; ids as given, deduplicated. */
export async function selectIds(db: DbExecutor, request: CreateReplayJob): Promise<string[]> {
  if (request.ids) return [...new Set(request.ids)];
  const where = request.fingerprint
    ? and(eq(deadLetters.fingerprint, request.fingerprint), eq(deadLetters.status, 'open'))
    : whereOf({ ...request.filter, status: 'open' });
  const rows = await db
    .select({ id: deadLetters.id })
    .from(deadLetters)
    .where(where)
    .orderBy(asc(deadLetters.lastFailedAt), asc(deadLetters.id))
    .limit(MAX_JOB_SIZE);
  return rows.map((r) => r.id);
}

/** Of `ids`, those naming no dead letter, and whether any names an open one. */
export async function checkIds(db: DbExecutor, ids: readonly string[]) {
  const rows = await db
    .select({ id: deadLetters.id, status: deadLetters.status })
    .from(deadLetters)
    .where(inArray(deadLetters.id, [...ids]));
  const known = new Set(rows.map((r) => r.id));
  return { unknownIds: ids.filter((id) => !known.has(id)), anyOpen: rows.some((r) => r.status === 'open') };
}

/**
 * Creates a job for the selected dead letters, audited. Refused when an id names no dead letter,
 * when nothing open is selected, or when the operator already has `openJobLimit` open jobs (checked
 * under a per-operator lock, so two requests at once cannot both take the last place).
 */
export async function createReplayJob(
  db: Database,
  actor: Actor,
  request: CreateReplayJob,
  limits: { readonly defaultRate: number; readonly openJobLimit: number },
): Promise<{ ok: true; job: JobRow } | ({ ok: false } & JobRefusal)> {
  return db.transaction(async (tx) => {
    const ids = await selectIds(tx, request);
    if (request.ids) {
      const { unknownIds, anyOpen } = await checkIds(tx, ids);
      if (unknownIds.length > 0) return { ok: false, reason: 'unknown-ids', unknownIds };
      if (!anyOpen) return { ok: false, reason: 'nothing-open' };
    }
    if (ids.length === 0) return { ok: false, reason: 'nothing-open' };
    await tx.execute(
      sql`select pg_advisory_xact_lock(hashtext('sagaport.replay-jobs'), hashtext(${actor.id}))`,
    );
    const open = await tx
      .select({ id: replayJobs.id })
      .from(replayJobs)
      .where(and(eq(replayJobs.createdById, actor.id), inArray(replayJobs.status, OPEN_STATUSES)))
      .orderBy(asc(replayJobs.createdAt));
    if (open.length >= limits.openJobLimit) {
      return {
        ok: false,
        reason: 'too-many-open',
        openJobIds: open.map((j) => j.id),
        limit: limits.openJobLimit,
      };
    }
    const { ratePerSecond, ...chosen } = request;
    const selector = summarizeSelector(chosen);
    const [job] = await tx
      .insert(replayJobs)
      .values({
        createdById: actor.id,
        createdBy: actor.email,
        selector,
        ratePerSecond: ratePerSecond ?? limits.defaultRate,
        total: ids.length,
      })
      .returning();
    for (let i = 0; i < ids.length; i += 1_000) {
      await tx
        .insert(replayJobItems)
        .values(
          ids.slice(i, i + 1_000).map((deadLetterId, n) => ({ jobId: job!.id, seq: i + n, deadLetterId })),
        );
    }
    // The summary, not the ids: the items table has them, and an audit row stays small.
    await recordAudit(
      tx,
      actor,
      'dead-letter.bulk-replay',
      { type: 'replay-job', id: job!.id },
      { total: ids.length, ratePerSecond: job!.ratePerSecond, selector },
    );
    await tx.execute(sql`select pg_notify(${REPLAY_JOBS_CHANNEL}, ${job!.id})`);
    return { ok: true, job: job! };
  });
}

/** Cancels a queued or running job (the runner stops before its next chunk); audited. */
export async function cancelReplayJob(db: Database, actor: Actor, id: string): Promise<JobRow | undefined> {
  return db.transaction(async (tx) => {
    const [job] = await tx
      .update(replayJobs)
      .set({ status: 'cancelled', finishedAt: sql`coalesce(${replayJobs.finishedAt}, now())` })
      .where(and(eq(replayJobs.id, id), inArray(replayJobs.status, OPEN_STATUSES)))
      .returning();
    if (job) await recordAudit(tx, actor, 'replay-job.cancel', { type: 'replay-job', id });
    return job;
  });
}

export async function listReplayJobs(db: DbExecutor, limit: number) {
  return db.select().from(replayJobs).orderBy(desc(replayJobs.createdAt)).limit(limit);
}

export async function findReplayJob(db: DbExecutor, id: string): Promise<JobRow | undefined> {
  const [job] = await db.select().from(replayJobs).where(eq(replayJobs.id, id));
  return job;
}

/** A page of a job's items in selection order, after item `afterSeq`, optionally of one status. */
export async function replayJobItemsPage(
  db: DbExecutor,
  jobId: string,
  page: { readonly limit: number; readonly afterSeq?: number; readonly status?: ReplayJobItemStatus },
) {
  const i = replayJobItems;
  const rows = await db
    .select()
    .from(i)
    .where(
      and(
        eq(i.jobId, jobId),
        page.status ? eq(i.status, page.status) : undefined,
        page.afterSeq === undefined ? undefined : gt(i.seq, page.afterSeq),
      ),
    )
    .orderBy(asc(i.seq))
    .limit(page.limit + 1);
  const items = rows.slice(0, page.limit);
  return {
    items: items.map((item) => ({
      deadLetterId: item.deadLetterId,
      status: item.status as ReplayJobItemStatus,
      detail: item.detail,
      replayMessageId: item.replayMessageId,
      processedAt: item.processedAt ? item.processedAt.toISOString() : null,
    })),
    nextSeq: rows.length > page.limit ? items.at(-1)!.seq : undefined,
  };
}
