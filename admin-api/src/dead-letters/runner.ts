// Runs bulk replay jobs: several at once per orchestrator, each at its own pace, all within one shared budget.
import {
  replayJobItems,
  replayJobs,
  type Database,
  type DbExecutor,
  type ReplayJobStatus,
} from '@sagaport/db';
import type { Logger } from '@sagaport/rabbitmq';
import { and, asc, eq, sql } from 'drizzle-orm';
import type { Actor } from '../env.js';
import { takeReplayBudget } from './budget.js';
import { REPLAY_JOBS_CHANNEL, type JobRow } from './jobs.js';
import { replayDeadLetters } from './replay.js';

/** A running job whose runner has not reported for this long is taken over by another. */
const STALE_AFTER_SECONDS = 30;

export interface ReplayJobRunnerOptions {
  readonly db: Database;
  readonly logger: Logger;
  /** Names this process in `replay_jobs.runner`. */
  readonly runner: string;
  readonly pollMs?: number;
  /** Jobs this process runs at once (default 4). */
  readonly concurrency?: number;
  /** Replays per second shared by every running job of every orchestrator (default 200). */
  readonly budgetPerSecond?: number;
  /** Subscribes to job notifications; returns an unsubscribe function. */
  readonly listen?: (wake: () => void) => Promise<() => Promise<void>>;
  /** After each committed chunk or status change: the job, and the dead letters it replayed or refused. */
  readonly onProgress?: (jobId: string, deadLetterIds: readonly string[], auditRows: number) => void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Claims jobs (queued, or running with a stale heartbeat) up to its concurrency and runs each on
 * its own: a slow job never holds up another. Every chunk first takes its share of the global
 * budget, then writes its replays, item results, counters and heartbeat in one transaction, so a
 * crash resumes exactly where it stopped, nothing twice. A graceful stop hands its jobs back.
 */
export class ReplayJobRunner {
  private running = false;
  private loop: Promise<void> | undefined;
  private wakeRequested = false;
  private wakeUp: (() => void) | undefined;
  private unlisten: (() => Promise<void>) | undefined;
  private readonly active = new Map<string, Promise<void>>();

  constructor(private readonly options: ReplayJobRunnerOptions) {}

  async start(): Promise<void> {
    this.running = true;
    this.unlisten = await this.options.listen?.(() => this.wake());
    this.loop = this.run();
  }

  /**
   * Stops after each job's current chunk. With `releaseClaims` (the default) its unfinished jobs
   * go back to `queued` and the other runners are told, so they resume at once; without it they
   * stay claimed, as a crash leaves them, until their heartbeat goes stale.
   */
  async stop(options: { releaseClaims?: boolean } = {}): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await Promise.all(this.active.values());
    if (options.releaseClaims ?? true) await this.releaseClaims();
    await this.unlisten?.();
  }

  private wake(): void {
    this.wakeRequested = true;
    this.wakeUp?.();
  }

  private async run(): Promise<void> {
    while (this.running) {
      try {
        if (this.active.size < (this.options.concurrency ?? 4)) {
          const job = await this.claim();
          if (job) {
            this.options.onProgress?.(job.id, [], 0);
            this.track(job);
            continue;
          }
        }
      } catch (error) {
        this.options.logger.error({ err: error }, 'replay job runner failed; retrying');
      }
      await this.nap(this.options.pollMs ?? 1_000);
    }
  }

  /** Waits `ms`, or less when woken (a new job, a job finished, stop). */
  private async nap(ms: number): Promise<void> {
    if (this.wakeRequested) {
      this.wakeRequested = false;
      return;
    }
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wakeUp = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wakeUp = undefined;
    this.wakeRequested = false;
  }

  private track(job: JobRow): void {
    const work = this.work(job)
      .catch((error: unknown) =>
        this.options.logger.error(
          { err: error, jobId: job.id },
          'bulk replay failed; another runner resumes it',
        ),
      )
      .finally(() => {
        this.active.delete(job.id);
        this.wake();
      });
    this.active.set(job.id, work);
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

  /** Puts this runner's unfinished jobs back in the queue and wakes the other runners. */
  private async releaseClaims(): Promise<void> {
    await this.options.db.transaction(async (tx) => {
      const released = await tx
        .update(replayJobs)
        .set({ status: 'queued', runner: null })
        .where(and(eq(replayJobs.runner, this.options.runner), eq(replayJobs.status, 'running')))
        .returning({ id: replayJobs.id });
      for (const { id } of released) await tx.execute(sql`select pg_notify(${REPLAY_JOBS_CHANNEL}, ${id})`);
      if (released.length > 0)
        this.options.logger.info({ jobs: released.length }, 'bulk replays handed back');
    });
  }

  private async work(job: JobRow): Promise<void> {
    // About ten chunks a second: smooth pacing and visible progress.
    const chunk = Math.max(1, Math.min(100, Math.ceil(job.ratePerSecond / 10)));
    const budget = this.options.budgetPerSecond ?? 200;
    const actor: Actor = { id: job.createdById, email: job.createdBy, name: job.createdBy, role: 'operator' };
    this.options.logger.info(
      { jobId: job.id, total: job.total, rate: job.ratePerSecond },
      'bulk replay started',
    );
    while (this.running) {
      const started = Date.now();
      const { granted, waitMs } = await takeReplayBudget(this.options.db, chunk, budget);
      if (granted === 0) {
        await sleep(waitMs);
        continue;
      }
      const { status, deadLetterIds, replayed } = await this.options.db.transaction((tx) =>
        this.replayChunk(tx, job, actor, granted),
      );
      this.options.onProgress?.(job.id, deadLetterIds, replayed);
      if (status !== 'running') {
        this.options.logger.info({ jobId: job.id, status }, 'bulk replay finished');
        return;
      }
      // The job's own pace: `granted` replays take granted / rate seconds.
      await sleep(Math.max(0, (granted / job.ratePerSecond) * 1_000 - (Date.now() - started)));
    }
  }

  /** Replays the next `size` pending items; returns the job's status afterwards. */
  private async replayChunk(
    tx: DbExecutor,
    job: JobRow,
    actor: Actor,
    size: number,
  ): Promise<{ status: ReplayJobStatus; deadLetterIds: string[]; replayed: number }> {
    const status = (value: ReplayJobStatus) => ({ status: value, deadLetterIds: [], replayed: 0 });
    const [current] = await tx
      .select({ status: replayJobs.status, runner: replayJobs.runner })
      .from(replayJobs)
      .where(eq(replayJobs.id, job.id))
      .for('update');
    if (!current || current.status !== 'running' || current.runner !== this.options.runner) {
      return status(current?.status === 'running' ? 'queued' : (current?.status ?? 'cancelled'));
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
      return status('completed');
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
    return { status: 'running', deadLetterIds: items.map((i) => i.deadLetterId), replayed: tally.replayed };
  }
}
