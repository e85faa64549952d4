// The projection runner: reads the event stream from a stored offset, applies batches and the offset in one transaction.
import { randomUUID } from 'node:crypto';
import {
  silentLogger,
  type AmqpConnectionManager,
  type DomainEvent,
  type Logger,
  type StreamRawEvent,
} from '@sagaport/rabbitmq';
import type { ConsumeMessage } from 'amqplib';
import type postgres from 'postgres';
import { pipelinedTransaction, type Commit } from '../database/pipelined-transaction.js';
import type { ProjectionMetrics } from './metrics.js';
import { parkEvent, readCheckpoint, releaseLease, takeLease, type Checkpoint } from './store.js';
import { readEventsOf, streamTail, timeOf } from './stream.js';
import { SharedStreamReader } from './stream-reader.js';

/** An event at its place in the stream. */
export interface StreamEvent {
  readonly offset: number;
  readonly event: DomainEvent;
}

/** The transaction a projection applies a batch in: the runner's, a savepoint of it, or a rebuild's. */
export type ProjectionSql = postgres.TransactionSql | postgres.ReservedSql;

/**
 * A read model built from the event stream. `apply` runs inside the runner's transaction (the
 * checkpoint's update commits with it) and must write only through `tx`. The stream may carry an
 * event twice (a worker republishes a command's events on its redelivery): a projection drops a
 * second copy by the event's aggregate and sequence.
 *
 * When the runner passes `commit`, its transaction is pipelined: the statements `apply` sends
 * before its first await leave with the BEGIN and the checkpoint's update, and `commit` sends the
 * COMMIT behind the statements sent so far. Calling it in the same tick as the last writes, once
 * they are sent (`execute()`: postgres.js sends a query only when something awaits it), puts
 * them and the COMMIT in one round trip: `await Promise.all([write.execute(), commit?.()])`. A
 * projection that does not call it is committed after `apply` resolves, one round trip later.
 */
export interface Projection {
  readonly name: string;
  apply(tx: ProjectionSql, events: readonly StreamEvent[], commit?: Commit): Promise<void>;
  /** The tables it writes (`schema.table`), for a rebuild: declared with `retarget`, or it cannot be rebuilt. */
  readonly tables?: readonly string[];
  /** The same projection writing to other tables: `table(live)` names the one to use for each of `tables`. */
  retarget?(table: (live: string) => string): Projection;
}

/** What a runner does with an event it cannot apply: park it and go on, or park it and stop there. */
export type ParkPolicy = 'continue' | 'stop';

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

/** An event of a delivery: its place (offset, index in the message) and what it carried. */
interface Item extends StreamEvent {
  readonly index: number;
  readonly raw: StreamRawEvent;
}

/** An event parked instead of applied, and why. */
interface Unappliable {
  readonly offset: number;
  readonly index: number;
  readonly raw: StreamRawEvent;
  readonly error: string;
}

class LeaseLost extends Error {
  constructor(reason: string) {
    super(reason);
  }
}

/** A batch as read from its deliveries: the events to apply, those to park, where it ends. */
interface ReadBatch {
  readonly readable: readonly Item[];
  readonly unreadable: readonly Unappliable[];
  readonly lastOffset: number;
  readonly lastAt: Date | null;
  /** Whether the projection stops at the first event it parks. */
  readonly stopPolicy: boolean;
}

/** What applying a batch did: events applied and parked, and the parked event that stops the projection. */
interface BatchResult {
  readonly applied: number;
  readonly parked: number;
  readonly stopWith: Unappliable | undefined;
}

/** Where a batch moves its projection's checkpoint, and what it counts. */
interface CheckpointMove {
  readonly lastOffset: number;
  readonly lastAt: Date | null;
  readonly applied: number;
  readonly stopWith: Unappliable | undefined;
  /** The lease is renewed for this long. */
  readonly leaseMs: number;
}

/**
 * Moves the checkpoint of `name` past a batch (and stops it at a parked event under the `stop`
 * policy). With `guard`, only if `guard.owner` holds the lease, the projection runs and the
 * checkpoint is still at `guard.from`; resolves with whether it moved.
 */
async function moveCheckpoint(
  tx: postgres.TransactionSql | postgres.ReservedSql,
  name: string,
  move: CheckpointMove,
  guard?: { readonly owner: string; readonly from: number },
): Promise<boolean> {
  const { lastOffset, lastAt, applied, stopWith, leaseMs } = move;
  const error = stopWith
    ? `parked at offset ${stopWith.offset}${stopWith.index > 0 ? ` (event ${stopWith.index} of the batch)` : ''}: ${stopWith.error}`.slice(
        0,
        4000,
      )
    : null;
  const rows = await tx`
    update projections.checkpoints set stream_offset = ${lastOffset},
      last_event_at = coalesce(${lastAt?.toISOString() ?? null}::timestamptz, last_event_at),
      applied_events = applied_events + ${applied},
      state = ${stopWith ? 'stopped' : 'running'}, last_error = ${error},
      lease_until = now() + make_interval(secs => ${leaseMs / 1000}), updated_at = now()
    where name = ${name} and (${guard === undefined}::boolean
      or (owner = ${guard?.owner ?? null} and state = 'running' and stream_offset = ${guard?.from ?? -1}))
    returning 1`;
  return rows.length > 0;
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
      outcome = isolate ? await this.applyIsolated(read) : await this.applyPipelined(read);
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

  /**
   * Applies a batch in one transaction of two round trips: the BEGIN, the checkpoint's move (made
   * first, guarded by this runner's lease, the running state and the offset it read from), the
   * parked events and the projection's reads leave together; the projection's writes leave with
   * the COMMIT, which is sent only once the guard held. A guard that failed rolls the batch back.
   * Every event the batch could read is applied or the whole batch fails, so the checkpoint's
   * figures are known before the projection runs.
   */
  private async applyPipelined(batch: ReadBatch): Promise<BatchResult> {
    const { readable, unreadable, lastOffset, lastAt, stopPolicy } = batch;
    const stopWith = stopPolicy ? unreadable[0] : undefined;
    const move = { lastOffset, lastAt, applied: readable.length, stopWith, leaseMs: this.leaseMs };
    return pipelinedTransaction(this.options.sql, async (tx, sendCommit) => {
      // Sent as they are created (see pipelinedTransaction), in this order, in one write.
      const sent: Promise<unknown>[] = [
        tx`set local synchronous_commit = off`,
        ...unreadable.map((event) => parkEvent(tx, this.name, event, event.raw, event.error)),
      ];
      let guardHeld: boolean | undefined;
      const guard = moveCheckpoint(tx, this.name, move, { owner: this.owner, from: this.appliedOffset }).then(
        (moved) => (guardHeld = moved),
      );
      sent.push(guard);
      for (const statement of sent) statement.catch(() => undefined);
      let committing: Promise<void> | undefined;
      const commit: Commit = () =>
        (committing ??= (async () => {
          // The guard's answer came before the projection's reads' (they were sent behind it):
          // the COMMIT then leaves in the same tick as the statements sent with this call.
          if (guardHeld === undefined) await guard;
          if (!guardHeld) throw new LeaseLost(await this.whyNotMoved(tx));
          await sendCommit();
        })());
      await Promise.all([...sent, this.options.projection.apply(tx, readable, commit)]);
      await commit();
      return { applied: readable.length, parked: unreadable.length, stopWith };
    });
  }

  /** Why the guarded checkpoint move found nothing to move, as a LeaseLost reason. */
  private async whyNotMoved(tx: postgres.ReservedSql): Promise<string> {
    const [row] = await tx<{ owner: string | null; state: string }[]>`
      select owner, state from projections.checkpoints where name = ${this.name}`;
    if (!row || row.owner !== this.owner) return 'lease lost before commit';
    if (row.state !== 'running') return `projection is ${row.state}`;
    return 'checkpoint moved by a rebuild';
  }

  /**
   * Applies each event of a batch behind a savepoint of its own, in one transaction: only the
   * events at fault are parked. The checkpoint's row is locked and checked first.
   */
  private async applyIsolated(batch: ReadBatch): Promise<BatchResult> {
    const { readable, unreadable, lastOffset, lastAt, stopPolicy } = batch;
    return this.options.sql.begin(async (tx) => {
      // The commit need not wait for its WAL flush: the rows and the offset they reach commit
      // together, so a database crash that loses this transaction loses both, and the runner
      // reads those events again from the stream. Both statements go in one round trip.
      const [, [owned]] = await Promise.all([
        tx`set local synchronous_commit = off`,
        tx<{ state: string; stream_offset: string }[]>`
          select state, stream_offset from projections.checkpoints
          where name = ${this.name} and owner = ${this.owner} for update`,
      ]);
      if (!owned) throw new LeaseLost('lease lost before commit');
      if (owned.state !== 'running') throw new LeaseLost(`projection is ${owned.state}`);
      // A rebuild swapped its tables in and moved the checkpoint: read on from there.
      if (Number(owned.stream_offset) !== this.appliedOffset)
        throw new LeaseLost('checkpoint moved by a rebuild');
      const unapplied = [...unreadable];
      for (const item of readable) {
        try {
          await tx.savepoint((sp) => this.options.projection.apply(sp, [item]));
        } catch (error) {
          this.log.warn(
            { err: error, projection: this.name, offset: item.offset, index: item.index },
            'projection parks an event it cannot apply',
          );
          unapplied.push({ ...item, error: `apply failed: ${(error as Error).message}` });
        }
      }
      unapplied.sort((a, b) => a.offset - b.offset || a.index - b.index);
      for (const event of unapplied) await parkEvent(tx, this.name, event, event.raw, event.error);
      const stopWith = stopPolicy ? unapplied[0] : undefined;
      const applied = readable.length - (unapplied.length - unreadable.length);
      await moveCheckpoint(tx, this.name, { lastOffset, lastAt, applied, stopWith, leaseMs: this.leaseMs });
      return { applied, parked: unapplied.length, stopWith };
    });
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

/** How far a projection is behind the stream's end. */
export interface ProjectionLag {
  readonly events: number;
  readonly seconds: number;
  readonly streamEnd: number;
  readonly offset: number;
}

/** A projection's lag: the stream's last offset minus its checkpoint, and the time between their events. */
export async function measureLag(
  sql: postgres.Sql,
  connection: AmqpConnectionManager,
  queue: string,
  projection: string,
): Promise<ProjectionLag> {
  const [checkpoint, tail] = await Promise.all([
    readCheckpoint(sql, projection),
    streamTail(connection, queue),
  ]);
  const offset = checkpoint?.streamOffset ?? -1;
  const end = tail?.offset ?? -1;
  const events = Math.max(0, end - offset);
  let seconds = 0;
  if (events > 0 && tail?.at) {
    const since = checkpoint?.lastEventAt ?? null;
    seconds = since ? Math.max(0, (tail.at.getTime() - since.getTime()) / 1000) : 0;
  }
  return { events, seconds, streamEnd: end, offset };
}
