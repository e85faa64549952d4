// Group commit for saga starts: the checkouts that arrive together are written by one statement.
import type { OutboxMessage } from '@sagaport/db';
import type { SagaStart } from './store.js';

/** Writes several starts at once; the result at each index is that start's outbox rows, or undefined when its key was taken. */
export type WriteStarts = (starts: readonly SagaStart[]) => Promise<(OutboxMessage[] | undefined)[]>;

interface Waiting {
  readonly start: SagaStart;
  readonly resolve: (rows: OutboxMessage[] | undefined) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Collects saga starts and writes them in batches, as the consumers take deliveries: one batch is
 * written at a time, and every start that arrives meanwhile forms the next one. Alone, a start is
 * written at once (nothing waits to fill a batch); under load, N checkouts cost one round trip and
 * one commit instead of N. A batch that fails is written again one start at a time, so a start
 * that cannot be written fails alone. Two starts with the same idempotency key never share a
 * batch: the second waits for the next, where it finds the key taken.
 */
export class StartBatcher {
  private queue: Waiting[] = [];
  private writing = false;

  constructor(
    private readonly write: WriteStarts,
    private readonly maxBatch = 200,
  ) {}

  /** Writes `start` with the others that are ready; resolves once its batch committed. */
  insert(start: SagaStart): Promise<OutboxMessage[] | undefined> {
    return new Promise((resolve, reject) => {
      this.queue.push({ start, resolve, reject });
      if (!this.writing) {
        this.writing = true;
        // Let the requests read in the same turn of the event loop join this batch.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0) {
        const batch: Waiting[] = [];
        const rest: Waiting[] = [];
        const keys = new Set<string>();
        for (const waiting of this.queue) {
          if (batch.length < this.maxBatch && !keys.has(waiting.start.idempotencyKey)) {
            keys.add(waiting.start.idempotencyKey);
            batch.push(waiting);
          } else rest.push(waiting);
        }
        this.queue = rest;
        await this.writeBatch(batch);
      }
    } finally {
      this.writing = false;
    }
  }

  private async writeBatch(batch: readonly Waiting[]): Promise<void> {
    try {
      const results = await this.write(batch.map((w) => w.start));
      batch.forEach((w, i) => w.resolve(results[i]));
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const waiting of batch) {
        try {
          const [rows] = await this.write([waiting.start]);
          waiting.resolve(rows);
        } catch (alone) {
          waiting.reject(alone);
        }
      }
    }
  }
}
