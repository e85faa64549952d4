// Bulk replay: a job of many dead letters, replayed at a set pace by whichever orchestrator claims it.
import {
  deadLetters,
  replayJobItems,
  replayJobs,
  type Database,
  type DbExecutor,
  type ReplayJobStatus,
} from '@sagaport/db';
import type { Logger } from '@sagaport/rabbitmq';
import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import { recordAudit } from '../audit/record.js';
import type { Actor } from '../env.js';
import { whereOf } from './queries.js';
import { replayDeadLetters } from './replay.js';
import type { CreateReplayJob } from './schemas.js';

/** NOTIFY channel that wakes the runners when a job is created. */
export const REPLAY_JOBS_CHANNEL = 'sagaport_replay_jobs';
/** A running job whose runner has not reported for this long is taken over by another. */
const STALE_AFTER_SECONDS = 30;
const MAX_JOB_SIZE = 10_000;

type JobRow = typeof replayJobs.$inferSelect;

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
    selector: row.selector,
  };
}

/** The open dead letters a request selects, oldest failure first, capped at 10,000. */
async function selectIds(db: DbExecutor, request: CreateReplayJob): Promise<string[]> {
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

/** Creates a job for the selected dead letters (undefined when none is selected), audited. */
export async function createReplayJob(
  db: Database,
  actor: Actor,
  request: CreateReplayJob,
  defaultRate: number,
): Promise<JobRow | undefined> {
  return db.transaction(async (tx) => {
    const ids = await selectIds(tx, request);
    if (ids.length === 0) return undefined;
    const { ratePerSecond, ...selector } = request;
    const [job] = await tx
      .insert(replayJobs)
      .values({
        createdById: actor.id,
        createdBy: actor.email,
        selector: selector as Record<string, unknown>,
        ratePerSecond: ratePerSecond ?? defaultRate,
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
    await recordAudit(
      tx,
      actor,
      'dead-letter.bulk-replay',
      { type: 'replay-job', id: job!.id },
      {
        total: ids.length,
        ratePerSecond: job!.ratePerSecond,
        selector,
      },
    );
    await tx.execute(sql`select pg_notify(${REPLAY_JOBS_CHANNEL}, ${job!.id})`);
    return job;
  });
}

/** Cancels a queued or running job (the runner stops before its next chunk); audited. */
export async function cancelReplayJob(db: Database, actor: Actor, id: string): Promise<JobRow | undefined> {
  return db.transaction(async (tx) => {
    const [job] = await tx
      .update(replayJobs)
      .set({ status: 'cancelled', finishedAt: sql`coalesce(${replayJobs.finishedAt}, now())` })
      .where(and(eq(replayJobs.id, id), inArray(replayJobs.status, ['queued', 'running'])))
      .returning();
    if (job) await recordAudit(tx, actor, 'replay-job.cancel', { type: 'replay-job', id });
    return job;
  });
}

export async function listReplayJobs(db: DbExecutor, limit: number) {
  return db.select().from(replayJobs).orderBy(desc(replayJobs.createdAt)).limit(limit);
}

export async function replayJobDetail(db: DbExecutor, id: string) {
  const [job] = await db.select().from(replayJobs).where(eq(replayJobs.id, id));
  if (!job) return undefined;
  const items = await db
    .select()
    .from(replayJobItems)
    .where(eq(replayJobItems.jobId, id))
    .orderBy(asc(replayJobItems.seq));
  return {
    ...toJob(job),
    items: items.map((i) => ({
      deadLetterId: i.deadLetterId,
      status: i.status as 'pending' | 'replayed' | 'skipped' | 'failed',
      detail: i.detail,
      replayMessageId: i.replayMessageId,
      processedAt: i.processedAt ? i.processedAt.toISOString() : null,
    })),
  };
}

export interface ReplayJobRunnerOptions {
  readonly db: Database;
  readonly logger: Logger;
  /** Names this process in `replay_jobs.runner`. */
  readonly runner: string;
  readonly pollMs?: number;
  /** Subscribes to job notifications; returns an unsubscribe function. */
  readonly listen?: (wake: () => void) => Promise<() => Promise<void>>;
}

/**
 * Runs bulk replay jobs: claims one (queued, or running with a stale heartbeat), replays its
 * pending items in chunks at the job's rate — each chunk's replays, item results, counters and
 * heartbeat in one transaction, so a crash resumes exactly where it stopped, nothing twice.
 */
export class ReplayJobRunner {
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeUp: (() => void) | undefined;
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly options: ReplayJobRunnerOptions) {}

  async start(): Promise<void> {
    this.running = true;
    this.unlisten = await this.options.listen?.(() => this.wakeUp?.());
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wakeUp?.();
    await this.loop;
    await this.unlisten?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        const job = await this.claim();
        if (job) {
          await this.work(job);
          continue;
        }
      } catch (error) {
        this.options.logger.error({ err: error }, 'replay job runner failed; retrying');
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, this.options.pollMs ?? 1_000);
        this.wakeUp = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  }

  private async claim(): Promise<JobRow | undefined> {
    const [job] = await this.options.db
      .update(replayJobs)
      .set({
        status: 'running',
        runner: this.options.runner,
        heartbeatAt: sql`now()`,
        startedAt: sql`coalesce(${replayJobs.startedAt}, now())`,
      })
      .where(
        eq(
          replayJobs.id,
          sql`(select id from admin.replay_jobs
                where status = 'queued'
                   or (status = 'running' and heartbeat_at < now() - make_interval(secs => ${STALE_AFTER_SECONDS}))
                order by created_at limit 1 for update skip locked)`,
        ),
      )
      .returning();
    return job;
  }

  private async work(job: JobRow): Promise<void> {
    // About ten chunks a second: smooth pacing and visible progress.
    const chunk = Math.max(1, Math.min(100, Math.ceil(job.ratePerSecond / 10)));
    const intervalMs = (chunk / job.ratePerSecond) * 1_000;
    const actor: Actor = { id: job.createdById, email: job.createdBy, name: job.createdBy, role: 'operator' };
    this.options.logger.info(
      { jobId: job.id, total: job.total, rate: job.ratePerSecond },
      'bulk replay started',
    );
    while (this.running) {
      const started = Date.now();
      const status = await this.options.db.transaction((tx) => this.replayChunk(tx, job, actor, chunk));
      if (status !== 'running') {
        this.options.logger.info({ jobId: job.id, status }, 'bulk replay finished');
        return;
      }
      await new Promise((r) => setTimeout(r, Math.max(0, intervalMs - (Date.now() - started))));
    }
  }

  /** Replays the next `size` pending items; returns the job's status afterwards. */
  private async replayChunk(
    tx: DbExecutor,
    job: JobRow,
    actor: Actor,
    size: number,
  ): Promise<ReplayJobStatus> {
    const [current] = await tx
      .select({ status: replayJobs.status, runner: replayJobs.runner })
      .from(replayJobs)
      .where(eq(replayJobs.id, job.id))
      .for('update');
    if (!current || current.status !== 'running' || current.runner !== this.options.runner) {
      return current?.status === 'running' ? 'queued' : (current?.status ?? 'cancelled');
    }
    const items = await tx
      .select()
      .from(replayJobItems)
      .where(and(eq(replayJobItems.jobId, job.id), eq(replayJobItems.status, 'pending')))
      .orderBy(asc(replayJobItems.seq))
      .limit(size);
    if (items.length === 0) {
      await tx
        .update(replayJobs)
        .set({ status: 'completed', finishedAt: sql`now()`, heartbeatAt: sql`now()` })
        .where(eq(replayJobs.id, job.id));
      return 'completed';
    }
    const results = await replayDeadLetters(
      tx,
      actor,
      items.map((i) => i.deadLetterId),
      { jobId: job.id },
    );
    const tally = { replayed: 0, skipped: 0, failed: 0 };
    const outcomes = items.map((item) => {
      const result = results.get(item.deadLetterId)!;
      const status = result.ok ? 'replayed' : result.outcome;
      tally[status] += 1;
      return {
        seq: item.seq,
        status,
        detail: result.ok ? null : result.detail,
        replay_message_id: result.ok ? result.replayMessageId : null,
      };
    });
    // Every item's result in one statement.
    await tx.execute(sql`
      update admin.replay_job_items i
         set status = o.status, detail = o.detail, replay_message_id = o.replay_message_id, processed_at = now()
        from jsonb_to_recordset(${JSON.stringify(outcomes)}::jsonb)
             as o(seq int, status text, detail text, replay_message_id uuid)
       where i.job_id = ${job.id} and i.seq = o.seq`);
    await tx
      .update(replayJobs)
      .set({
        replayed: sql`${replayJobs.replayed} + ${tally.replayed}`,
        skipped: sql`${replayJobs.skipped} + ${tally.skipped}`,
        failed: sql`${replayJobs.failed} + ${tally.failed}`,
        heartbeatAt: sql`now()`,
      })
      .where(eq(replayJobs.id, job.id));
    return 'running';
  }
}
