// The outbox relay: publishes outbox rows with confirms and deletes each row only after its confirm.
import {
  claimOutboxBatch,
  deferOutboxMessages,
  deleteOutboxMessages,
  OUTBOX_CHANNEL,
  type DatabaseHandle,
  type OutboxMessage,
} from '@sagaport/db';
import { buildMessage, type ConfirmPublisher, type Logger, PublishError } from '@sagaport/rabbitmq';

export interface RelayOptions {
  readonly database: DatabaseHandle;
  readonly publisher: ConfirmPublisher;
  readonly logger: Logger;
  /** Rows claimed per transaction. */
  readonly batchSize?: number;
  /** Batches in flight at once in this process (each in its own transaction). */
  readonly lanes?: number;
  /** Fallback poll when no NOTIFY arrives (a missed notification, a deferred row coming due). */
  readonly pollMs?: number;
  readonly onPublished?: (outcome: 'confirmed' | PublishError['reason'] | 'error', count: number) => void;
  /**
   * Fault injection for tests and drills (FAULT_DUPLICATE_PUBLISHES): publish every message
   * twice, so every command and reply reaches its consumer twice.
   */
  readonly duplicatePublishes?: boolean;
}

/** Delay before a row that failed to publish is tried again, growing with its attempts (max 30 s). */
export function retryDelayMs(attempts: number): number {
  return Math.min(30_000, 250 * 2 ** Math.min(attempts, 7));
}

/** The broker message of an outbox row. */
export function toMessage(row: OutboxMessage) {
  return buildMessage({
    exchange: row.exchange,
    routingKey: row.routingKey,
    type: row.messageType,
    payload: row.payload,
    messageId: row.messageId,
    ...(row.correlationId ? { correlationId: row.correlationId } : {}),
    headers: row.headers,
  });
}

/**
 * Woken by NOTIFY (and a slow poll), claims batches with `FOR UPDATE SKIP LOCKED` — so several
 * relays, in this process or others, never publish the same row at once — publishes them in
 * parallel, then deletes the confirmed rows and defers the rejected ones, in the claim's
 * transaction. A crash before the delete means a re-publish: at-least-once, and consumers
 * are idempotent.
 */
export class OutboxRelay {
  private running = false;
  private readonly sleepers = new Set<() => void>();
  private pending = false;
  private lanes: Promise<void>[] = [];
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly options: RelayOptions) {}

  async start(): Promise<void> {
    this.running = true;
    const listener = await this.options.database.sql.listen(OUTBOX_CHANNEL, () => this.wake());
    this.unlisten = () => listener.unlisten();
    this.lanes = Array.from({ length: this.options.lanes ?? 2 }, () => this.lane());
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await Promise.all(this.lanes);
    await this.unlisten?.().catch(() => undefined);
  }

  private wake(): void {
    this.pending = true;
    for (const wakeUp of this.sleepers) wakeUp();
    this.sleepers.clear();
  }

  private async lane(): Promise<void> {
    while (this.running) {
      this.pending = false;
      let full = false;
      try {
        full = await this.relayBatch();
      } catch (error) {
        this.options.logger.error({ err: error }, 'outbox relay batch failed; retrying');
        this.options.onPublished?.('error', 1);
        await new Promise((r) => setTimeout(r, 1_000));
      }
      // A full batch means more is waiting; otherwise sleep until NOTIFY or the poll.
      if (!full && !this.pending && this.running) await this.sleep(this.options.pollMs ?? 1_000);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wakeUp = () => {
        clearTimeout(timer);
        this.sleepers.delete(wakeUp);
        resolve();
      };
      const timer = setTimeout(wakeUp, ms);
      this.sleepers.add(wakeUp);
    });
  }

  private async publish(row: OutboxMessage): Promise<void> {
    const message = toMessage(row);
    await this.options.publisher.publish(message);
    if (this.options.duplicatePublishes) await this.options.publisher.publish(message);
  }

  /** Relays one batch; returns whether it was full. */
  private async relayBatch(): Promise<boolean> {
    const batchSize = this.options.batchSize ?? 200;
    return this.options.database.db.transaction(async (tx) => {
      const rows = await claimOutboxBatch(tx, batchSize);
      if (rows.length === 0) return false;
      const results = await Promise.allSettled(rows.map((row) => this.publish(row)));
      const confirmed: number[] = [];
      const failed = new Map<string, number[]>();
      results.forEach((result, index) => {
        const row = rows[index]!;
        if (result.status === 'fulfilled') confirmed.push(row.id);
        else {
          const reason = result.reason instanceof PublishError ? result.reason.reason : 'error';
          failed.set(reason, [...(failed.get(reason) ?? []), row.id]);
        }
      });
      // A message over AMQP_MAX_MESSAGE_BYTES can never be published: kept, it would be tried
      // for ever and hold the outbox's age (and so the checkout API's backpressure) up. It goes,
      // loudly; the saga's step timeout then resends or compensates.
      const tooLarge = failed.get('too-large') ?? [];
      failed.delete('too-large');
      for (const row of rows.filter((r) => tooLarge.includes(r.id))) {
        this.options.logger.error(
          { message_id: row.messageId, message_type: row.messageType, saga_id: row.correlationId },
          'outbox message over AMQP_MAX_MESSAGE_BYTES dropped: it can never be published',
        );
      }
      await deleteOutboxMessages(tx, [...confirmed, ...tooLarge]);
      this.options.onPublished?.('confirmed', confirmed.length);
      if (tooLarge.length > 0) this.options.onPublished?.('too-large', tooLarge.length);
      for (const [reason, ids] of failed) {
        const attempts = Math.max(...rows.filter((r) => ids.includes(r.id)).map((r) => r.attempts));
        await deferOutboxMessages(tx, ids, `publish ${reason}`, retryDelayMs(attempts));
        this.options.onPublished?.(reason as PublishError['reason'], ids.length);
        this.options.logger.warn({ reason, count: ids.length }, 'outbox messages not confirmed; deferred');
      }
      return rows.length === batchSize;
    });
  }
}
