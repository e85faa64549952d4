// Publishes a transaction's outbox rows right after its commit, and deletes them in batches once confirmed.
import { deleteOutboxMessages, type Database, type OutboxMessage } from '@sagaport/db';
import {
  batchByQueue,
  PublishError,
  PublishPump,
  singleQueueRoutes,
  type ConfirmPublisher,
  type Logger,
  type OutgoingMessage,
  type Topology,
} from '@sagaport/rabbitmq';
import { toMessage } from './relay.js';

/**
 * Confirmed rows wait this long for a writer's next transaction to delete them (see
 * {@link OutboxDispatcher.takeConfirmed}) before a statement of their own does; well under the
 * grace, so a relay never republishes them.
 */
const DEFAULT_FLUSH_MS = 250;

export interface DispatcherOptions {
  readonly db: Database;
  readonly publisher: ConfirmPublisher;
  /** Where the rows go: the messages of rows bound for the same queue travel in one batch message. */
  readonly topology: Topology;
  readonly logger: Logger;
  /** How long rows written for dispatch stay hidden from relays (`enqueueOutboxForDispatch`). */
  readonly graceMs: number;
  /** Confirmed rows are deleted together once this many wait, or after `flushMs` (default 250). */
  readonly deleteBatchSize?: number;
  readonly flushMs?: number;
  /** Fault injection (FAULT_DUPLICATE_PUBLISHES): publish every message twice. */
  readonly duplicatePublishes?: boolean;
  readonly onPublished?: (outcome: 'confirmed' | PublishError['reason'] | 'error', count: number) => void;
}

/**
 * The fast path of the outbox. The writer inserts rows hidden for a grace period and, after
 * its commit, hands them here: they are published at once (no NOTIFY, no claim transaction)
 * and deleted after their confirms in one statement per batch. A row whose publish fails, or
 * whose process dies first, is still in the table and a relay publishes it after the grace:
 * at-least-once either way, and consumers are idempotent.
 *
 * Dispatches go through a {@link PublishPump}: one leaves at once when no publish awaits its
 * confirms, otherwise with every dispatch that came meanwhile, and the messages bound for the
 * same queue (a batch's commands for one worker) travel in one batch message.
 */
export class OutboxDispatcher {
  private confirmed: number[] = [];
  private flushTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private readonly pump: PublishPump;

  constructor(private readonly options: DispatcherOptions) {
    const { publisher, duplicatePublishes } = options;
    const publishAll = async (messages: readonly OutgoingMessage[]) => {
      await Promise.all(messages.map((message) => publisher.publish(message)));
      if (duplicatePublishes) await Promise.all(messages.map((message) => publisher.publish(message)));
    };
    const routes = singleQueueRoutes(options.topology);
    this.pump = new PublishPump(publishAll, (messages) => batchByQueue(messages, routes));
  }

  get graceMs(): number {
    return this.options.graceMs;
  }

  /** Publishes committed rows; resolves when they are confirmed or left to the relay. */
  async dispatch(rows: readonly OutboxMessage[]): Promise<void> {
    if (rows.length === 0) return;
    try {
      await this.pump.submit(rows.map(toMessage));
    } catch (error) {
      const reason = error instanceof PublishError ? error.reason : 'error';
      this.options.onPublished?.(reason, rows.length);
      this.options.logger.warn(
        { reason, err: error, count: rows.length, messageIds: rows.slice(0, 10).map((row) => row.messageId) },
        'direct publish failed; the relay will retry',
      );
      return;
    }
    this.options.onPublished?.('confirmed', rows.length);
    for (const row of rows) this.confirmed.push(row.id);
    if (this.confirmed.length >= (this.options.deleteBatchSize ?? 500)) void this.flush();
    else this.flushTimer ??= setTimeout(() => void this.flush(), this.options.flushMs ?? DEFAULT_FLUSH_MS);
  }
  /**
   * Hands over the ids of the confirmed rows not deleted yet, for a writer to delete them inside
   * its next transaction (no transaction of their own). If that transaction fails, the writer
   * gives them back with {@link giveBack}; rows it never deletes are republished after the grace.
   */
  takeConfirmed(): number[] {
    const ids = this.confirmed;
    this.confirmed = [];
    return ids;
  }

  /** Takes back ids from {@link takeConfirmed} whose deletion did not commit. */
  giveBack(ids: readonly number[]): void {
    if (ids.length === 0) return;
    this.confirmed.push(...ids);
    this.flushTimer ??= setTimeout(() => void this.flush(), this.options.flushMs ?? DEFAULT_FLUSH_MS);
  }

  /** Deletes every confirmed row still pending; call before shutting down. */
  async flush(): Promise<void> {
    clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    const ids = this.confirmed;
    this.confirmed = [];
    this.flushing = this.flushing.then(async () => {
      if (ids.length === 0) return;
      try {
        await deleteOutboxMessages(this.options.db, ids);
      } catch (error) {
        // The rows stay and a relay republishes them after the grace: a duplicate, not a loss.
        this.options.logger.warn(
          { err: error, count: ids.length },
          'could not delete dispatched outbox rows',
        );
      }
    });
    await this.flushing;
  }
}
