// The dead-letter archiver: consumes every DLQ (and the retry log) into PostgreSQL, acking only after commit.
import {
  deadLetters,
  isDatabaseOutage,
  messageRetries,
  type Database,
  type DatabaseGate,
} from '@sagaport/db';
import type { AmqpConnectionManager, Logger, Topology } from '@sagaport/rabbitmq';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { ChannelWrapper } from 'amqp-connection-manager';
import { readDeadLetter, readRetry, type NewDeadLetter, type NewMessageRetry } from './read.js';

export interface ArchiverOptions {
  readonly db: Database;
  readonly connection: AmqpConnectionManager;
  readonly topology: Topology;
  readonly gate: DatabaseGate;
  readonly logger: Logger;
  /** Deliveries stored per transaction; also the prefetch window (×2). */
  readonly batchSize?: number;
  /** How long a partial batch waits for more before it is stored. */
  readonly lingerMs?: number;
  readonly onArchived?: (row: NewDeadLetter) => void;
}

interface Pending {
  readonly channel: Channel;
  readonly raw: ConsumeMessage;
  readonly row: { kind: 'dead-letter'; value: NewDeadLetter } | { kind: 'retry'; value: NewMessageRetry };
}

/**
 * Stores each DLQ message once in `dead_letters` (idempotent on its failure key) and each
 * scheduled retry in `message_retries`. A delivery is acked only after the transaction that
 * stored it committed; if the process dies first the broker redelivers it and the key dedupes
 * it. While PostgreSQL is down the batch is held, not dropped.
 */
export class DeadLetterArchiver {
  private wrapper: ChannelWrapper | undefined;
  private batch: Pending[] = [];
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private stopping = false;
  private readonly stopSignal = new AbortController();

  constructor(private readonly options: ArchiverOptions) {}

  /** The queues it consumes: every DLQ and the retry log. */
  get queues(): string[] {
    return [
      ...Object.values(this.options.topology.queues.deadLetters),
      this.options.topology.queues.retryLog,
    ];
  }

  async start(): Promise<void> {
    const batchSize = this.options.batchSize ?? 200;
    this.wrapper = this.options.connection.createChannel({
      name: 'dead-letter-archiver',
      setup: async (channel: Channel) => {
        await channel.prefetch(batchSize * 2);
        for (const queue of this.queues) {
          await channel.consume(queue, (raw) => raw && this.receive(channel, queue, raw), { noAck: false });
        }
      },
    });
    // Without a listener, a setup cut short by a broker restart would crash the process.
    this.wrapper.on('error', (err: Error) =>
      this.options.logger.warn(
        { err },
        'dead-letter archiver setup failed; it runs again on the next connection',
      ),
    );
    await this.wrapper.waitForConnect();
  }

  /** Stops consuming and stores what was received; unstored deliveries return to their queues. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    clearTimeout(this.timer);
    this.flush();
    await this.flushing;
    await this.wrapper?.close();
  }

  private receive(channel: Channel, queue: string, raw: ConsumeMessage): void {
    const row =
      queue === this.options.topology.queues.retryLog
        ? ({ kind: 'retry', value: readRetry(raw) } as const)
        : ({ kind: 'dead-letter', value: readDeadLetter(raw, queue) } as const);
    this.batch.push({ channel, raw, row });
    if (this.batch.length >= (this.options.batchSize ?? 200)) this.flush();
    else this.timer ??= setTimeout(() => this.flush(), this.options.lingerMs ?? 20);
  }

  private flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const batch = this.batch;
    this.batch = [];
    if (batch.length === 0) return;
    this.flushing = this.flushing.then(() => this.store(batch));
  }

  /** Stores a batch, retrying until it commits (waiting out outages), then acks it. */
  private async store(batch: Pending[]): Promise<void> {
    const letters = batch.flatMap((p) => (p.row.kind === 'dead-letter' ? [p.row.value] : []));
    const retries = batch.flatMap((p) => (p.row.kind === 'retry' ? [p.row.value] : []));
    for (let delay = 500; ; delay = Math.min(delay * 2, 10_000)) {
      try {
        const stored = await this.options.db.transaction(async (tx) => {
          const inserted =
            letters.length > 0
              ? await tx
                  .insert(deadLetters)
                  .values(letters)
                  .onConflictDoNothing({ target: deadLetters.failureKey })
                  .returning({ failureKey: deadLetters.failureKey })
              : [];
          if (retries.length > 0) {
            await tx
              .insert(messageRetries)
              .values(retries)
              .onConflictDoNothing({ target: messageRetries.failureKey });
          }
          return new Set(inserted.map((r) => r.failureKey));
        });
        for (const letter of letters) if (stored.has(letter.failureKey)) this.options.onArchived?.(letter);
        break;
      } catch (error) {
        if (this.stopping) return; // unacked: the broker gives them back to their queues
        if (isDatabaseOutage(error)) {
          await this.options.gate.waitUntilAvailable(this.stopSignal.signal).catch(() => undefined);
        } else {
          this.options.logger.error(
            { err: error, count: batch.length },
            `could not archive dead letters; retrying in ${delay} ms (they stay in their DLQ meanwhile)`,
          );
          await new Promise((r) => setTimeout(r, delay));
        }
      }
    }
    for (const { channel, raw } of batch) {
      try {
        channel.ack(raw);
      } catch {
        // The channel closed after the commit: the broker redelivers and the failure key dedupes.
      }
    }
  }
}
