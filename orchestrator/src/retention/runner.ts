// Retention: prunes rows nothing needs any more, in small batches, one runner at a time across
// every orchestrator process (a transaction-scoped advisory lock). Never touches what a running
// saga or an open dead letter needs.
import type { DatabaseHandle } from '@sagaport/db';
import type { Logger } from '@sagaport/rabbitmq';

/** Ages in days after which rows are pruned; see the README's configuration table. */
export interface RetentionAges {
  /** Event rows of sagas that ended this long ago (the saga row itself stays). */
  readonly sagaEventsDays: number;
  /** Inbox rows (processed-message records) received this long ago. */
  readonly inboxDays: number;
  /** Dead letters replayed or discarded this long ago (open ones are never pruned). */
  readonly deadLettersDays: number;
  /** Retry records of failures this long ago. */
  readonly retriesDays: number;
  /** Admin audit rows this old. */
  readonly auditDays: number;
  /** Finished bulk replay jobs (and their items) that finished this long ago. */
  readonly replayJobsDays: number;
  /** Console sessions that expired this long ago. */
  readonly sessionsDays: number;
}

export const defaultRetentionAges: RetentionAges = {
  sagaEventsDays: 30,
  inboxDays: 7,
  deadLettersDays: 30,
  retriesDays: 30,
  auditDays: 365,
  replayJobsDays: 30,
  sessionsDays: 1,
};

export interface RetentionOptions {
  readonly database: DatabaseHandle;
  readonly ages?: Partial<RetentionAges>;
  /** Rows per table per pass (default 500): short transactions, short locks. */
  readonly batchSize?: number;
  /** Time between runs; 0 disables the runner (a pass can still be run by hand). */
  readonly intervalMs: number;
  /** How long one run may keep going while tables still have full batches to prune. */
  readonly runBudgetMs?: number;
  readonly logger: Logger;
  readonly onPruned?: (table: string, rows: number) => void;
}

/** Key of the advisory lock that makes the runners of several processes take turns. */
export const RETENTION_LOCK_KEY = 0x5a6a_0001;

/** What one pass did: rows pruned per table, or `skipped` when another process holds the lock. */
export type PassResult = { skipped: true } | { skipped: false; pruned: Record<string, number> };

const ENDED = `s.status not in ('running', 'compensating') and s.ended_at is not null`;

type Pruner = (tx: DatabaseHandle['sql'], cutoffDays: number, batch: number) => Promise<number>;

const count = (rows: readonly unknown[]) => rows.length;

/** Per table, the statement pruning one batch. */
const pruners: Record<string, { age: keyof RetentionAges; prune: Pruner }> = {
  'saga.events': {
    age: 'sagaEventsDays',
    prune: async (tx, days, batch) =>
      count(
        await tx.unsafe(
          `delete from saga.events where id in (
             select e.id from saga.events e join saga.instances s on s.id = e.saga_id
             where ${ENDED} and s.ended_at < now() - make_interval(days => $1)
               and not exists (select 1 from dead_letters d where d.saga_id = s.id and d.status = 'open')
             order by e.id limit $2)
           returning 1`,
          [days, batch],
        ),
      ),
  },
  inbox: {
    age: 'inboxDays',
    prune: async (tx, days, batch) =>
      count(
        await tx.unsafe(
          `delete from inbox where (consumer, message_id) in (
             select i.consumer, i.message_id from inbox i
             where i.received_at < now() - make_interval(days => $1)
               and not exists (select 1 from saga.instances s
                               where s.id = i.correlation_id and s.status in ('running', 'compensating'))
               and not exists (select 1 from dead_letters d
                               where d.saga_id = i.correlation_id and d.status = 'open')
             limit $2)
           returning 1`,
          [days, batch],
        ),
      ),
  },
  message_retries: {
    age: 'retriesDays',
    prune: async (tx, days, batch) =>
      count(
        await tx.unsafe(
          `delete from message_retries where id in (
             select r.id from message_retries r
             where r.failed_at < now() - make_interval(days => $1)
               and not exists (select 1 from saga.instances s
                               where s.id = r.saga_id and s.status in ('running', 'compensating'))
               and not exists (select 1 from dead_letters d where d.saga_id = r.saga_id and d.status = 'open')
             limit $2)
           returning 1`,
          [days, batch],
        ),
      ),
  },
  'admin.replay_job_items': {
    age: 'replayJobsDays',
    prune: async (tx, days, batch) =>
      count(
        await tx.unsafe(
          `delete from admin.replay_job_items where (job_id, seq) in (
             select i.job_id, i.seq from admin.replay_job_items i join admin.replay_jobs j on j.id = i.job_id
             where j.status in ('completed', 'cancelled') and j.finished_at < now() - make_interval(days => $1)
             limit $2)
           returning 1`,
          [days, batch],
        ),
      ),
  },
  'admin.replay_jobs': {
    age: 'replayJobsDays',
    prune: async (tx, days, batch) =>
      count(
        await tx.unsafe(
          `delete from admin.replay_jobs where id in (
             select j.id from admin.replay_jobs j
             where j.status in ('completed', 'cancelled') and j.finished_at < now() - make_interval(days => $1)
               and not exists (select 1 from admin.replay_job_items i where i.job_id = j.id)
             limit $2)
           returning 1`,
          [days, batch],
        ),
      ),
  },
  dead_letters: {
    age: 'deadLettersDays',
    prune: async (tx, days, batch) =>
      count(
        await tx.unsafe(
          `delete from dead_letters where id in (
             select d.id from dead_letters d
             where d.status in ('replayed', 'discarded')
               and d.last_failed_at < now() - make_interval(days => $1)
               and coalesce(d.discarded_at, d.replayed_at, d.last_failed_at) < now() - make_interval(days => $1)
               and not exists (select 1 from admin.replay_job_items i
                               join admin.replay_jobs j on j.id = i.job_id
                               where i.dead_letter_id = d.id and j.status in ('queued', 'running'))
             limit $2)
           returning 1`,
          [days, batch],
        ),
      ),
  },
  'admin.audit_log': {
    age: 'auditDays',
    prune: async (tx, days, batch) =>
      count(
        await tx.unsafe(
          `delete from admin.audit_log where id in (
             select id from admin.audit_log where at < now() - make_interval(days => $1) order by at, id limit $2)
           returning 1`,
          [days, batch],
        ),
      ),
  },
  'admin.sessions': {
    age: 'sessionsDays',
    prune: async (tx, days, batch) =>
      count(
        await tx.unsafe(
          `delete from admin.sessions where id in (
             select id from admin.sessions where expires_at < now() - make_interval(days => $1) limit $2)
           returning 1`,
          [days, batch],
        ),
      ),
  },
};

export class RetentionRunner {
  private readonly ages: RetentionAges;
  private readonly batchSize: number;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(private readonly options: RetentionOptions) {
    this.ages = { ...defaultRetentionAges, ...options.ages };
    this.batchSize = options.batchSize ?? 500;
  }

  start(): void {
    if (this.options.intervalMs <= 0) return;
    this.schedule();
  }

  private schedule(): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.run()
        .then(() => undefined)
        .catch((error: unknown) =>
          this.options.logger.warn({ err: error }, 'retention run failed; the next run retries'),
        )
        .finally(() => {
          this.running = undefined;
          this.schedule();
        });
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Passes until no table has a full batch left, the budget is spent, or another runner holds the lock. */
  async run(): Promise<Record<string, number>> {
    const budgetEnds = Date.now() + (this.options.runBudgetMs ?? 30_000);
    const total: Record<string, number> = {};
    for (;;) {
      const result = await this.pass();
      if (result.skipped) break;
      for (const [table, rows] of Object.entries(result.pruned)) total[table] = (total[table] ?? 0) + rows;
      const more = Object.values(result.pruned).some((rows) => rows >= this.batchSize);
      if (!more || this.stopped || Date.now() > budgetEnds) break;
    }
    const pruned = Object.values(total).reduce((a, b) => a + b, 0);
    if (pruned > 0) this.options.logger.info({ pruned: total }, 'retention pruned old rows');
    return total;
  }

  /** One batch per table, in one transaction, if no other process is pruning now. */
  async pass(): Promise<PassResult> {
    const result = await this.options.database.sql.begin(async (tx) => {
      const [lock] = await tx<
        { locked: boolean }[]
      >`select pg_try_advisory_xact_lock(${RETENTION_LOCK_KEY}) as locked`;
      if (!lock?.locked) return { skipped: true } as const;
      const pruned: Record<string, number> = {};
      for (const [table, { age, prune }] of Object.entries(pruners)) {
        pruned[table] = await prune(tx as unknown as DatabaseHandle['sql'], this.ages[age], this.batchSize);
      }
      return { skipped: false, pruned } as const;
    });
    if (!result.skipped) {
      for (const [table, rows] of Object.entries(result.pruned))
        if (rows > 0) this.options.onPruned?.(table, rows);
    }
    return result;
  }
}
