// The timeout scanner: finds sagas past their step deadline and lets the engine resend or compensate.
import { sagaInstances, type Database } from '@sagaport/db';
import type { Logger } from '@sagaport/rabbitmq';
import { RepeatedLog } from '@sagaport/runtime';
import { and, asc, isNotNull, lte, sql } from 'drizzle-orm';
import type { DueSaga, SagaEngine } from './engine.js';
import { SagaStatus, terminalStatuses } from './types.js';

/** The statuses a saga can wait for a reply in: only these have a deadline. */
const unfinished = Object.values(SagaStatus).filter((status) => !terminalStatuses.includes(status));

/**
 * `status in ('running', …)` with the statuses written into the statement, not bound: the pool's
 * prepared statements are planned once for any parameter values (`plan_cache_mode =
 * force_generic_plan`), and for unknown values PostgreSQL expects most of the table to match
 * and scans it whole, at every tick. With the values in the text it knows from its statistics
 * that few sagas are unfinished and reads them through the status index.
 */
const isUnfinished = sql`${sagaInstances.status} in (${sql.raw(
  unfinished.map((status) => `'${status.replaceAll("'", "''")}'`).join(', '),
)})`;

export interface TimeoutScannerOptions {
  readonly db: Database;
  readonly engine: SagaEngine;
  readonly logger: Logger;
  readonly intervalMs: number;
  readonly batchSize?: number;
  readonly onTimeout?: () => void;
  /**
   * Ready messages queued where a command of this type and its reply wait (the worker's command
   * queue and the replies queue); undefined when unknown. Without it, deadlines are never held.
   */
  readonly queuedAhead?: (commandType: string) => Promise<number | undefined>;
  /** How long after a step's last send its deadline may be held; 0 (the default) never holds. */
  readonly holdMaxMs?: number;
  /** Called with the number of deadlines held in a pass. */
  readonly onHeld?: (count: number) => void;
  /**
   * Lines about a lasting condition (deadlines held, scans failing) are written at its first
   * pass, then at most once per this many milliseconds with the count since (default 30 s); the
   * metrics count every pass.
   */
  readonly repeatLogMs?: number;
}

/**
 * Every `intervalMs`, applies the timeout transition to sagas whose deadline passed. Several
 * orchestrators may scan at once: the engine re-reads the deadline inside its transaction and
 * its version check lets exactly one of them act.
 *
 * A deadline that passed while the step's command (or its reply) still waits in a queue behind
 * others is held instead: moved one step timeout on, with no resend and no send counted, for up
 * to `holdMaxMs` after the last send. A backlog (workers catching up after an outage, a burst)
 * is a reason to wait, not to send copies that queue behind the originals: after a 30-second
 * PostgreSQL outage under load, resending every waiting saga's command each step timeout filled
 * the queues with duplicates that took minutes to drain, and a saga whose sends ran out was
 * compensated although its worker was merely behind. Past `holdMaxMs` the step times out as
 * before: resent up to its send limit, then compensated.
 */
/** The unfinished sagas past their deadline, earliest first, at most `limit` (a query to run or to explain). */
export function dueSagas(db: Database, limit: number) {
  return (
    db
      .select({
        id: sagaInstances.id,
        version: sagaInstances.version,
        sagaType: sagaInstances.sagaType,
        step: sagaInstances.currentStep,
        commandType: sql<string | null>`${sagaInstances.state} -> 'awaiting' ->> 'type'`,
        sentAt: sql<number | null>`(${sagaInstances.state} -> 'awaiting' ->> 'sentAt')::float8`,
        alongside: sql<{ step: string; type: string }[] | null>`${sagaInstances.state} -> 'alongside'`,
      })
      .from(sagaInstances)
      // Through the status index: deadline_at changes at every step and is not indexed (HOT updates).
      .where(
        and(isUnfinished, isNotNull(sagaInstances.deadlineAt), lte(sagaInstances.deadlineAt, sql`now()`)),
      )
      .orderBy(asc(sagaInstances.deadlineAt))
      .limit(limit)
  );
}

export class TimeoutScanner {
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;
  private readonly heldLog: RepeatedLog;
  private readonly failedLog: RepeatedLog;

  constructor(private readonly options: TimeoutScannerOptions) {
    this.heldLog = new RepeatedLog(options.repeatLogMs ?? 30_000);
    this.failedLog = new RepeatedLog(options.repeatLogMs ?? 30_000);
  }

  start(): void {
    this.timer = setInterval(() => {
      this.scanning ??= this.scan()
        .then(() => undefined)
        // A failed scan (PostgreSQL down) is retried by the next tick; it must not crash the process.
        .catch((error: unknown) => {
          const failed = this.failedLog.record();
          if (failed !== undefined)
            this.options.logger.warn(
              { err: error, failedScans: failed },
              'timeout scan failed; retrying every tick (PostgreSQL unreachable?)',
            );
        })
        .finally(() => (this.scanning = undefined));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.scanning;
  }

  /** One pass; returns how many sagas it moved (resent, compensated or failed), not those held. */
  async scan(): Promise<number> {
    const due: DueSaga[] = await dueSagas(this.options.db, this.options.batchSize ?? 200);
    const held = await this.hold(due);
    let moved = 0;
    for (const { id } of due) {
      if (held.has(id)) continue;
      try {
        const transition = await this.options.engine.handleTimeout(id);
        if (transition?.changed) {
          moved += 1;
          this.options.onTimeout?.();
        }
      } catch (error) {
        this.options.logger.error({ err: error, sagaId: id }, 'timeout handling failed; next scan retries');
      }
    }
    return moved;
  }

  /** Holds the deadlines of the due sagas whose command or reply is still queued; returns their ids. */
  private async hold(due: readonly DueSaga[]): Promise<Set<string>> {
    const { queuedAhead, holdMaxMs = 0 } = this.options;
    if (!queuedAhead || holdMaxMs <= 0 || due.length === 0) return new Set();
    const now = Date.now();
    const depths = new Map<string, number | undefined>();
    const candidates: DueSaga[] = [];
    for (const saga of due) {
      const { commandType, sentAt } = saga;
      if (!commandType || sentAt === null || now - sentAt >= holdMaxMs) continue;
      // A stage's commands go to several queues: any of them still queued holds the deadline.
      const types = [commandType, ...(saga.alongside ?? []).map((c) => c.type)];
      for (const type of types) if (!depths.has(type)) depths.set(type, await queuedAhead(type));
      if (types.some((type) => (depths.get(type) ?? 0) > 0)) candidates.push(saga);
    }
    if (candidates.length === 0) return new Set();
    const held = await this.options.engine.holdDeadlines(candidates);
    if (held.length > 0) {
      this.options.onHeld?.(held.length);
      const reported = this.heldLog.record(held.length);
      if (reported !== undefined)
        this.options.logger.info(
          {
            held: reported,
            queued: Object.fromEntries([...depths].filter(([, n]) => (n ?? 0) > 0)),
          },
          'step deadlines held: the commands or their replies are still queued; no resend',
        );
    }
    return new Set(held);
  }
}
