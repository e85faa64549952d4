// A projection rebuild: the stream from its start into shadow tables while the live projection runs, then one swap.
import { randomUUID } from 'node:crypto';
import {
  silentLogger,
  type AmqpConnectionManager,
  type Logger,
  type StreamRawEvent,
} from '@sagaport/rabbitmq';
import type { Channel, ConsumeMessage } from 'amqplib';
import type postgres from 'postgres';
import { claimRebuild, failRebuild, readRebuild, RebuildState, type RebuildStatus } from './rebuild-store.js';
import type { Projection, StreamEvent } from './projection.js';
import { createShadows, dropShadows, shadowOf, swapShadows } from './shadow.js';
import { parkEvent } from './store.js';
import { offsetOf, readEventsOf, STREAM_OFFSET_HEADER, streamTail, timeOf } from './stream.js';

export interface ProjectionRebuildOptions {
  /** The projection to rebuild; it must declare its `tables` and `retarget`. */
  readonly projection: Projection;
  readonly sql: postgres.Sql;
  readonly connection: AmqpConnectionManager;
  /** The stream queue (`sagaport.events`). */
  readonly queue: string;
  /** Who asked for it (an operator's email, `cli:<user>`), kept with its progress. */
  readonly startedBy: string;
  /** Events per transaction at most (default 1,000). */
  readonly batchSize?: number;
  /** How often a rebuild with nothing to apply shows it is alive (default 2 s). */
  readonly heartbeatMs?: number;
  /** After how long without a heartbeat another process counts a rebuild abandoned (default 30 s). */
  readonly staleMs?: number;
  readonly logger?: Logger;
  /** Called after each committed batch and at the end with the progress. */
  readonly onProgress?: (status: RebuildStatus) => void;
  /** Runs in the transaction that claims the rebuild (an audit row). */
  readonly onClaimed?: (tx: postgres.TransactionSql, status: RebuildStatus) => Promise<unknown>;
}

interface Delivery {
  readonly offset: number;
  readonly message: ConsumeMessage;
}

/** Whether `projection` declares what a rebuild needs. */
export function isRebuildable(projection: Projection): boolean {
  return (projection.tables?.length ?? 0) > 0 && typeof projection.retarget === 'function';
}

/**
 * Rebuilds a projection from the stream's first event into shadow copies of its tables while
 * its live runner keeps applying and serving. Once the shadow has read at least to where the
 * stream ended at the start and is not behind the live checkpoint, one transaction locks the
 * checkpoint (the live runner's next batch waits), swaps the tables in by renames and moves
 * the checkpoint to the shadow's offset; the live runner sees its checkpoint moved and reads on
 * from there. Unreadable events are parked as the live runner parks them (once per event).
 */
export class ProjectionRebuild {
  private readonly log: Logger;
  private readonly shadow: Projection;
  private readonly tables: readonly string[];
  private offset = -1;
  private lastEventAt: Date | null = null;
  private stopped = false;
  private wake: (() => void) | undefined;
  /** Settles with the final progress: `done` or `failed` (a rebuild never rejects). */
  readonly finished: Promise<RebuildStatus>;

  private constructor(
    private readonly options: ProjectionRebuildOptions,
    readonly started: RebuildStatus,
  ) {
    this.log = options.logger ?? silentLogger;
    this.tables = options.projection.tables!;
    this.shadow = options.projection.retarget!(shadowOf);
    this.finished = this.run();
  }

  /** Claims the rebuild (throws `RebuildAlreadyRunning` if one runs) and starts it. */
  static async start(options: ProjectionRebuildOptions): Promise<ProjectionRebuild> {
    if (!isRebuildable(options.projection)) {
      throw new Error(`projection ${options.projection.name} declares no tables to rebuild`);
    }
    const tail = await streamTail(options.connection, options.queue);
    const owner = `${process.pid}-${randomUUID().slice(0, 8)}`;
    const status = await claimRebuild(
      options.sql,
      {
        projection: options.projection.name,
        owner,
        startedBy: options.startedBy,
        targetOffset: tail?.offset ?? -1,
        staleMs: options.staleMs ?? 30_000,
      },
      options.onClaimed,
    );
    return new ProjectionRebuild(options, status);
  }

  get id(): number {
    return this.started.id;
  }

  /** Ends the rebuild early (a shutdown): it fails, its shadow tables are dropped, the live tables stay. */
  async stop(): Promise<RebuildStatus> {
    this.stopped = true;
    this.wake?.();
    return this.finished;
  }

  private async run(): Promise<RebuildStatus> {
    const { sql } = this.options;
    try {
      await createShadows(sql, this.tables);
      await this.consume();
    } catch (error) {
      const message = (error as Error).message;
      this.log.error({ err: error, projection: this.started.projection }, 'projection rebuild failed');
      await failRebuild(sql, this.id, message).catch(() => undefined);
      await dropShadows(sql, this.tables).catch(() => undefined);
    }
    const status = (await readRebuild(sql, this.id).catch(() => null)) ?? this.started;
    this.options.onProgress?.(status);
    return status;
  }

  /** Reads the stream from its first event until the shadow is swapped in. */
  private async consume(): Promise<void> {
    const batchSize = this.options.batchSize ?? 1_000;
    const heartbeatMs = this.options.heartbeatMs ?? 2_000;
    const buffer: Delivery[] = [];
    let generation = 0;
    let channel: Channel | undefined;
    const wrapper = this.options.connection.createChannel({
      json: false,
      setup: async (raw: Channel) => {
        // After a reconnect, read on after what is committed; the old channel's deliveries are void.
        generation += 1;
        const mine = generation;
        buffer.length = 0;
        channel = raw;
        await raw.prefetch(batchSize * 2);
        await raw.consume(
          this.options.queue,
          (message) => {
            if (!message || mine !== generation) return;
            buffer.push({ offset: offsetOf(message), message });
            this.wake?.();
          },
          { arguments: { [STREAM_OFFSET_HEADER]: this.offset < 0 ? 'first' : this.offset + 1 } },
        );
      },
    });
    wrapper.on('error', (error: Error) => {
      this.log.warn({ err: error, projection: this.started.projection }, 'projection rebuild channel error');
    });
    let beatAt = Date.now();
    try {
      for (;;) {
        if (this.stopped) throw new Error('stopped before it finished (the process shut down)');
        if (Date.now() - beatAt >= heartbeatMs) {
          await this.heartbeat();
          beatAt = Date.now();
        }
        if (buffer.length === 0) {
          if (this.offset >= this.started.targetOffset && (await this.trySwap())) return;
          await new Promise<void>((resolve) => {
            this.wake = resolve;
            setTimeout(resolve, 200);
          });
          this.wake = undefined;
          continue;
        }
        const mine = generation;
        const batch = buffer.splice(0, batchSize).filter((d) => d.offset > this.offset);
        if (batch.length === 0) continue;
        if (this.offset < 0 && batch[0]!.offset > 0) {
          // Retention removed the stream's first events: a model built from the rest would lose orders.
          throw new Error(`the stream starts at offset ${batch[0]!.offset}: its first events are gone`);
        }
        await this.applyBatch(batch);
        beatAt = Date.now();
        if (channel && mine === generation) channel.ack(batch[batch.length - 1]!.message, true);
        const progress = await readRebuild(this.options.sql, this.id);
        if (progress) this.options.onProgress?.(progress);
        if (this.offset >= this.started.targetOffset && (await this.trySwap())) return;
      }
    } finally {
      await wrapper.close().catch(() => undefined);
    }
  }

  /** Applies `batch` to the shadow tables with the progress in one transaction; an event that fails alone is parked. */
  private async applyBatch(batch: readonly Delivery[]): Promise<void> {
    const readable: (StreamEvent & { index: number; raw: StreamRawEvent })[] = [];
    const unreadable: { offset: number; index: number; raw: StreamRawEvent; error: string }[] = [];
    for (const delivery of batch) {
      for (const read of readEventsOf(delivery.message)) {
        if ('event' in read) readable.push({ offset: delivery.offset, ...read });
        else unreadable.push({ offset: delivery.offset, ...read });
      }
    }
    const last = batch[batch.length - 1]!;
    const lastAt = timeOf(last.message) ?? this.lastEventAt;
    const name = this.started.projection;
    await this.options.sql.begin(async (tx) => {
      // A rebuild cut short starts over from the stream's start: its batches need not wait for the WAL flush.
      await tx`set local synchronous_commit = off`;
      await this.assertOwned(tx);
      let failed = 0;
      try {
        await tx.savepoint((sp) => this.shadow.apply(sp, readable));
      } catch {
        // Find the event at fault: one savepoint per event.
        for (const event of readable) {
          try {
            await tx.savepoint((sp) => this.shadow.apply(sp, [event]));
          } catch (error) {
            failed += 1;
            await parkEvent(tx, name, event, event.raw, `apply failed: ${(error as Error).message}`);
          }
        }
      }
      for (const event of unreadable) await parkEvent(tx, name, event, event.raw, event.error);
      await tx`
        update projections.rebuilds set stream_offset = ${last.offset},
          applied_events = applied_events + ${readable.length - failed},
          last_event_at = coalesce(${lastAt?.toISOString() ?? null}::timestamptz, last_event_at),
          heartbeat_at = now()
        where id = ${this.id}`;
    });
    this.offset = last.offset;
    this.lastEventAt = lastAt;
  }

  private async assertOwned(tx: postgres.TransactionSql): Promise<void> {
    const [row] = await tx<{ state: string }[]>`
      select state from projections.rebuilds where id = ${this.id} and owner = ${this.started.owner} for update`;
    if (!row || (row.state !== RebuildState.running && row.state !== RebuildState.swapping)) {
      throw new Error('the rebuild was ended elsewhere (counted abandoned)');
    }
  }

  private async heartbeat(): Promise<void> {
    await this.options.sql.begin(async (tx) => {
      await this.assertOwned(tx);
      await tx`update projections.rebuilds set heartbeat_at = now() where id = ${this.id}`;
    });
  }

  /**
   * Swaps the shadow in if it is not behind the live checkpoint: false (read on) when it is, or
   * when the tables could not be locked within the lock timeout (a long read holds them).
   */
  private async trySwap(): Promise<boolean> {
    const { sql } = this.options;
    const name = this.started.projection;
    const [live] = await sql<{ stream_offset: string }[]>`
      select stream_offset from projections.checkpoints where name = ${name}`;
    if (live && Number(live.stream_offset) > this.offset) return false;
    await sql`update projections.rebuilds set state = 'swapping' where id = ${this.id} and state = 'running'`;
    try {
      return await sql.begin(async (tx) => {
        await tx`set local lock_timeout = '2s'`;
        await this.assertOwned(tx);
        await tx`insert into projections.checkpoints (name, stream_offset) values (${name}, -1) on conflict (name) do nothing`;
        const [checkpoint] = await tx<{ stream_offset: string }[]>`
          select stream_offset from projections.checkpoints where name = ${name} for update`;
        if (Number(checkpoint!.stream_offset) > this.offset) return false;
        await swapShadows(tx, this.tables);
        await tx`
          update projections.checkpoints set stream_offset = ${this.offset},
            last_event_at = ${this.lastEventAt?.toISOString() ?? null}::timestamptz,
            applied_events = (select applied_events from projections.rebuilds where id = ${this.id}),
            updated_at = now()
          where name = ${name}`;
        await tx`
          update projections.rebuilds set state = 'done', finished_at = now(), heartbeat_at = now()
          where id = ${this.id}`;
        this.log.info({ projection: name, offset: this.offset }, 'projection rebuild swapped in');
        return true;
      });
    } catch (error) {
      if ((error as { code?: string }).code === '55P03') return false; // lock_not_available: try again
      throw error;
    }
  }
}
