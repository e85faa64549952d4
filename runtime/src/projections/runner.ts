// The projection runner: reads the event stream from a stored offset, applies batches and the offset in one transaction.
import { randomUUID } from 'node:crypto';
import { silentLogger, type AmqpConnectionManager, type Logger } from '@sagaport/rabbitmq';
import type { ConsumeMessage } from 'amqplib';
import type postgres from 'postgres';
import {
  applyIsolated,
  applyPipelined,
  LeaseLost,
  type BatchContext,
  type BatchResult,
  type Item,
  type ReadBatch,
  type Unappliable,
} from './batch-transaction.js';
import { measureLag, type ProjectionLag } from './lag.js';
import type { ProjectionMetrics } from './metrics.js';
import type { ParkPolicy, Projection } from './projection.js';
import { releaseLease, takeLease, type Checkpoint } from './store.js';
import { readEventsOf, timeOf } from './stream.js';
import { SharedStreamReader } from './stream-reader.js';

export interface ProjectionRunnerOptions {
  readonly projection: Projection;
  readonly sql: postgres.Sql;
  readonly connection: AmqpConnectionManager;
  /** The stream queue (`sagaport.events`). */
  readonly queue: string;
  /**
   * The process's one reader of the stream, shared by its runners (the broker then delivers each
   * message once per process, not once per projection); without it the runner reads on its own.
   */
  readonly reader?: SharedStreamReader;
  /** Stream messages per transaction at most (default 500; an event batch counts once). */
  readonly batchSize?: number;
  /**
   * How long the first event of a batch waits for more before the batch is applied (default
   * 300 ms; 0: at once). Events arrive a few at a time; a fuller batch costs one transaction
   * and one ack where single events cost one each, and an order's events, spread over its
   * saga's life, are folded into its row in fewer batches. The lag grows by at most this much.
   */
  readonly lingerMs?: number;
  /** How long a runner's lease lasts without renewal (default 10 s); a dead runner's projection waits this long. */
  readonly leaseMs?: number;
  readonly onUnappliable?: ParkPolicy;
  /** How often the lag is measured (default 5 s); 0: never (status reads measure it on demand). */
  readonly lagSampleMs?: number;
  readonly metrics?: ProjectionMetrics;
  readonly logger?: Logger;
  /** Called after each committed batch with the new offset (tests, progress). */
  readonly onCommitted?: (offset: number, events: number) => void;
}

interface Delivery {
  readonly offset: number;
  /** When it arrived (`performance.now()`). */
  readonly at: number;
  readonly message: ConsumeMessage;
  readonly generation: number;
}

/**
 * Runs one projection. At most one runner per projection applies events at a time, across
 * processes: each holds a lease in its checkpoint row, renewed as it goes, and every batch's
 * transaction checks it still owns the row before it writes (a runner that lost its lease writes
 * nothing). Others wait and take over when the lease runs out. A batch's read-model changes, its
 * parked events and the new offset commit together: after a crash the stream is read again from
 * the last committed offset, so nothing is applied twice and nothing is skipped.
 */
export class ProjectionRunner {
  readonly owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
  private stopped = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  private readonly batchSize: number;
  private readonly lingerMs: number;
  private readonly leaseMs: number;
  private readonly log: Logger;
  private appliedOffset = -1;
  private lastEventAt: Date | null = null;
  private lagTimer: NodeJS.Timeout | undefined;
  private active = false;

  constructor(private readonly options: ProjectionRunnerOptions) {
    this.batchSize = options.batchSize ?? 500;
    this.lingerMs = options.lingerMs ?? 300;
    this.leaseMs = options.leaseMs ?? 10_000;
    this.log = options.logger ?? silentLogger;
  }

  get name(): string {
    return this.options.projection.name;
  }

  /** Whether this runner holds the lease and consumes now. */
  get isActive(): boolean {
    return this.active;
  }

  start(): this {
    this.loop ??= this.run();
    const every = this.options.lagSampleMs ?? 5_000;
    if (every > 0 && this.options.metrics) {
      const sample = () => {
        void this.sampleLag().finally(() => {
          if (!this.stopped) this.lagTimer = setTimeout(sample, every);
        });
      };
      this.lagTimer = setTimeout(sample, Math.min(every, 1_000));
    }
    return this;
  }

  /** Stops consuming after the batch in progress and gives the lease up. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.lagTimer);
    this.wake?.();
    await this.loop;
  }

  private async run(): Promise<void> {
    const renewMs = Math.max(50, Math.floor(this.leaseMs / 3));
    while (!this.stopped) {
      let checkpoint: Checkpoint | null;
      try {
        checkpoint = await takeLease(this.options.sql, this.name, this.owner, this.leaseMs);
      } catch (error) {
        this.log.warn({ err: error, projection: this.name }, 'projection lease: database unavailable');
        await this.rest(renewMs);
        continue;
      }
      if (!checkpoint || checkpoint.state !== 'running') {
        await this.rest(renewMs);
        continue;
      }
      this.appliedOffset = checkpoint.streamOffset;
      this.lastEventAt = checkpoint.lastEventAt;
      this.active = true;
      try {
        await this.consume(renewMs);
      } catch (error) {
        this.log.error({ err: error, projection: this.name }, 'projection runner failed; starting again');
        await this.rest(renewMs);
      } finally {
        this.active = false;
      }
    }
    await releaseLease(this.options.sql, this.name, this.owner).catch(() => undefined);
  }

  /** Waits `ms`, or less if the runner is stopped meanwhile. */
  private rest(ms: number): Promise<void> {
    if (this.stopped) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  /** Consumes from the checkpoint until stopped, paused, stopped by a parked event or the lease is lost. */
  private async consume(renewMs: number): Promise<void> {
    const buffer: Delivery[] = [];
    let generation = 0;
    const reader =
      this.options.reader ??
      new SharedStreamReader(this.options.connection, this.options.queue, {
        prefetch: this.batchSize * 2,
        logger: this.log,
      });
    const subscription = reader.subscribe({
      position: () => this.appliedOffset + 1,
      deliver: ({ offset, message }) => {
        buffer.push({ offset, at: performance.now(), message, generation });
        if (buffer.length === 1 || buffer.length >= this.batchSize) this.wake?.();
      },
      // Read again from the checkpoint (a new channel, another projection joining behind): what
      // was delivered before and not yet applied is void.
      reset: () => {
        generation += 1;
        buffer.length = 0;
      },
    });
    let renewedAt = Date.now();
    try {
      while (!this.stopped) {
        if (Date.now() - renewedAt >= renewMs) {
          const checkpoint = await takeLease(this.options.sql, this.name, this.owner, this.leaseMs);
          if (!checkpoint) throw new LeaseLost('lease taken by another runner');
          if (checkpoint.state !== 'running') return;
          renewedAt = Date.now();
        }
        const lingering =
          buffer.length > 0 && buffer.length < this.batchSize
            ? this.lingerMs - (performance.now() - buffer[0]!.at)
            : 0;
        if (buffer.length === 0 || lingering > 0) {
          const untilRenewal = Math.max(10, renewMs - (Date.now() - renewedAt));
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            setTimeout(resolve, buffer.length === 0 ? untilRenewal : Math.min(lingering, untilRenewal));
          });
          this.wake = undefined;
          continue;
        }
        const batch = buffer.splice(0, this.batchSize);
        const current = batch.filter((d) => d.generation === generation);
        if (current.length === 0) continue;
        const outcome = await this.applyBatch(current);
        renewedAt = Date.now();
        subscription.release(this.appliedOffset);
        if (outcome === 'stopped') return;
      }
    } catch (error) {
      if (error instanceof LeaseLost) {
        this.log.warn({ projection: this.name }, `projection runner stands down: ${error.message}`);
        return;
      }
      throw error;
    } finally {
      subscription.close();
      if (!this.options.reader) await reader.close();
    }
  }

  /**
   * Applies `batch` (deliveries in stream order; each carries one event or an event batch's) in
   * one transaction. Events that cannot be read are parked in it. If the projection throws, each
   * delivery is applied again in a transaction of its own with each event behind a savepoint, so
   * only the event at fault is parked and a delivery is applied whole or not at all (the
   * checkpoint is a delivery's offset). Under the `stop` policy the batch ends with the delivery
   * holding the first event parked and the projection stops there, until an operator resumes it.
   */
  private async applyBatch(batch: readonly Delivery[], isolate = false): Promise<'ok' | 'stopped'> {
    const fresh = batch.filter((d) => d.offset > this.appliedOffset);
    if (fresh.length === 0) return 'ok';
    const stopPolicy = this.options.onUnappliable === 'stop';
    const readable: Item[] = [];
    const unreadable: Unappliable[] = [];
    let upTo = fresh.length;
    for (let i = 0; i < upTo; i += 1) {
      const delivery = fresh[i]!;
      for (const read of readEventsOf(delivery.message)) {
        if ('event' in read) readable.push({ offset: delivery.offset, ...read });
        else unreadable.push({ offset: delivery.offset, ...read });
      }
      // Parked and passed (an operator replays or skips it), then nothing more until resumed.
      if (stopPolicy && unreadable.length > 0) upTo = i + 1;
    }
    const last = fresh[upTo - 1]!;
    const lastAt = timeOf(last.message);
    let outcome: BatchResult;
    const read: ReadBatch = { readable, unreadable, lastOffset: last.offset, lastAt, stopPolicy };
    try {
      const context: BatchContext = {
        sql: this.options.sql,
        projection: this.options.projection,
        owner: this.owner,
        appliedOffset: this.appliedOffset,
        leaseMs: this.leaseMs,
        log: this.log,
      };
      outcome = isolate ? await applyIsolated(context, read) : await applyPipelined(context, read);
    } catch (error) {
      if (error instanceof LeaseLost) throw error;
      // Isolated, the events' own faults are parked: what is left is the database's.
      if (isolate) throw error;
      // Find the event at fault: one transaction per delivery from here.
      for (const delivery of fresh.slice(0, upTo)) {
        if ((await this.applyBatch([delivery], true)) === 'stopped') return 'stopped';
      }
      return 'ok';
    }
    this.appliedOffset = last.offset;
    if (lastAt) this.lastEventAt = lastAt;
    const metrics = this.options.metrics;
    const { applied, parked, stopWith } = outcome;
    metrics?.applied.inc({ projection: this.name }, applied);
    if (parked > 0) metrics?.parked.inc({ projection: this.name }, parked);
    this.options.onCommitted?.(last.offset, applied);
    if (stopWith) {
      this.log.error(
        { projection: this.name, offset: stopWith.offset },
        `projection stopped: ${stopWith.error}`,
      );
      return 'stopped';
    }
    return 'ok';
  }

  /** Measures the lag (events and seconds behind the stream's end) and sets the gauges. */
  async sampleLag(): Promise<ProjectionLag | null> {
    try {
      const lag = await measureLag(this.options.sql, this.options.connection, this.options.queue, this.name);
      this.options.metrics?.lagEvents.set({ projection: this.name }, lag.events);
      this.options.metrics?.lagSeconds.set({ projection: this.name }, lag.seconds);
      return lag;
    } catch (error) {
      this.log.warn({ err: error, projection: this.name }, 'projection lag: measuring failed');
      return null;
    }
  }
}
