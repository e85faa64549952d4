// Backpressure: the checkout API refuses new sagas (503 + Retry-After) while the broker blocks
// publishing (a memory or disk alarm) or while the outbox's oldest row is older than a bound, so
// callers back off instead of piling up sagas that cannot move.
import type { DatabaseHandle } from '@sagaport/db';
import type { AmqpConnectionManager } from '@sagaport/rabbitmq';
import type { MiddlewareHandler } from 'hono';
import { problem } from '@sagaport/runtime';

export interface BackpressureOptions {
  readonly broker: AmqpConnectionManager;
  readonly sql: DatabaseHandle['sql'];
  /** Refuse checkouts while the oldest outbox row is older than this; 0 turns the check off. */
  readonly outboxMaxAgeSeconds: number;
  /** How often the outbox's oldest row is sampled (one small query, not one per request). */
  readonly sampleIntervalMs?: number;
  /** Retry-After of a refusal, in seconds. */
  readonly retryAfterSeconds?: number;
  readonly onChange?: (reason: string | undefined) => void;
}

/** Why checkouts are refused now, if they are. */
export class Backpressure {
  private blockedReason: string | undefined;
  private outboxAgeSeconds = 0;
  private timer: NodeJS.Timeout | undefined;
  private sampling = false;
  private last: string | undefined;
  readonly retryAfterSeconds: number;

  constructor(private readonly options: BackpressureOptions) {
    this.retryAfterSeconds = options.retryAfterSeconds ?? 5;
    const { broker } = options;
    broker.on('blocked', ({ reason }) => {
      this.blockedReason = reason || 'resource alarm';
      this.changed();
    });
    broker.on('unblocked', () => {
      this.blockedReason = undefined;
      this.changed();
    });
    // A new connection starts unblocked; the broker says again if the alarm still holds.
    broker.on('connect', () => {
      this.blockedReason = undefined;
      this.changed();
    });
  }

  start(): void {
    if (this.options.outboxMaxAgeSeconds <= 0) return;
    this.timer = setInterval(() => void this.sample(), this.options.sampleIntervalMs ?? 1_000);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
  }

  /** The oldest outbox row's age at the last sample, in seconds. */
  get oldestOutboxAgeSeconds(): number {
    return this.outboxAgeSeconds;
  }

  private async sample(): Promise<void> {
    if (this.sampling) return;
    this.sampling = true;
    try {
      const [row] = await this.options.sql<{ age: number | null }[]>`
        select extract(epoch from (now() - min(created_at)))::float8 as age from outbox`;
      this.outboxAgeSeconds = row?.age ?? 0;
      this.changed();
    } catch {
      // PostgreSQL away: keep the last sample; the database's own checks report the outage.
    } finally {
      this.sampling = false;
    }
  }

  /** Why new checkouts are refused now, or undefined when they are accepted. */
  get reason(): string | undefined {
    if (this.blockedReason !== undefined)
      return `the broker blocks publishing (${this.blockedReason}); new checkouts wait until the alarm clears`;
    const bound = this.options.outboxMaxAgeSeconds;
    if (bound > 0 && this.outboxAgeSeconds > bound)
      return `the outbox's oldest message is ${Math.round(this.outboxAgeSeconds)} s old (OUTBOX_MAX_AGE_SECONDS=${bound}); new checkouts wait until it drains`;
    return undefined;
  }

  private changed(): void {
    const now = this.reason;
    if (now !== this.last) {
      this.last = now;
      this.options.onChange?.(now);
    }
  }

  /** Readiness: up, or the reason (shown by /readyz). */
  readonly check = (): Promise<boolean | string> => Promise.resolve(this.reason ?? true);

  /** Middleware refusing the request with 503 problem+json and Retry-After while under pressure. */
  middleware(): MiddlewareHandler {
    return async (c, next) => {
      const reason = this.reason;
      if (reason === undefined) return next();
      c.header('Retry-After', String(this.retryAfterSeconds));
      return problem(c, {
        title: 'Checkout temporarily unavailable',
        status: 503,
        detail: `${reason}. Retry after ${this.retryAfterSeconds} s with the same Idempotency-Key.`,
      });
    };
  }
}
