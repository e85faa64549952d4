// The timeout scanner: finds sagas past their step deadline and lets the engine resend or compensate.
import { sagaInstances, type Database } from '@sagaport/db';
import type { Logger } from '@sagaport/rabbitmq';
import { and, asc, inArray, isNotNull, lte, sql } from 'drizzle-orm';
import type { SagaEngine } from './engine.js';
import { SagaStatus, terminalStatuses } from './types.js';

/** The statuses a saga can wait for a reply in: only these have a deadline. */
const unfinished = Object.values(SagaStatus).filter((status) => !terminalStatuses.includes(status));

export interface TimeoutScannerOptions {
  readonly db: Database;
  readonly engine: SagaEngine;
  readonly logger: Logger;
  readonly intervalMs: number;
  readonly batchSize?: number;
  readonly onTimeout?: () => void;
}

/**
 * Every `intervalMs`, applies the timeout transition to sagas whose deadline passed. Several
 * orchestrators may scan at once: the engine re-reads the deadline inside its transaction and
 * its version check lets exactly one of them act.
 */
export class TimeoutScanner {
  private timer: NodeJS.Timeout | undefined;
  private scanning: Promise<void> | undefined;

  constructor(private readonly options: TimeoutScannerOptions) {}

  start(): void {
    this.timer = setInterval(() => {
      this.scanning ??= this.scan()
        .then(() => undefined)
        // A failed scan (PostgreSQL down) is retried by the next tick; it must not crash the process.
        .catch((error: unknown) => this.options.logger.warn({ err: error }, 'timeout scan failed; retrying'))
        .finally(() => (this.scanning = undefined));
    }, this.options.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.scanning;
  }

  /** One pass; returns how many sagas it moved. */
  async scan(): Promise<number> {
    const due = await this.options.db
      .select({ id: sagaInstances.id })
      .from(sagaInstances)
      // Through the status index: deadline_at changes at every step and is not indexed (HOT updates).
      .where(
        and(
          inArray(sagaInstances.status, unfinished),
          isNotNull(sagaInstances.deadlineAt),
          lte(sagaInstances.deadlineAt, sql`now()`),
        ),
      )
      .orderBy(asc(sagaInstances.deadlineAt))
      .limit(this.options.batchSize ?? 200);
    let moved = 0;
    for (const { id } of due) {
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
}
