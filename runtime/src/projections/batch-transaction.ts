// A projection batch's transaction: the read model's changes, the parked events and the checkpoint's move, committed together.
import type { Logger, StreamRawEvent } from '@sagaport/rabbitmq';
import type postgres from 'postgres';
import { pipelinedTransaction, type Commit } from '../database/pipelined-transaction.js';
import type { Projection, ProjectionSql, StreamEvent } from './projection.js';
import { parkEvent } from './store.js';

/** An event of a delivery: its place (offset, index in the message) and what it carried. */
export interface Item extends StreamEvent {
  readonly index: number;
  readonly raw: StreamRawEvent;
}

/** An event parked instead of applied, and why. */
export interface Unappliable {
  readonly offset: number;
  readonly index: number;
  readonly raw: StreamRawEvent;
  readonly error: string;
}

export class LeaseLost extends Error {
  constructor(reason: string) {
    super(reason);
  }
}

/** A batch as read from its deliveries: the events to apply, those to park, where it ends. */
export interface ReadBatch {
  readonly readable: readonly Item[];
  readonly unreadable: readonly Unappliable[];
  readonly lastOffset: number;
  readonly lastAt: Date | null;
  /** Whether the projection stops at the first event it parks. */
  readonly stopPolicy: boolean;
}

/** What applying a batch did: events applied and parked, and the parked event that stops the projection. */
export interface BatchResult {
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
  tx: ProjectionSql,
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

/** Who applies a batch: the runner holding the projection's lease, and what it applied last. */
export interface BatchContext {
  readonly sql: postgres.Sql;
  readonly projection: Projection;
  /** The lease's holder, as written in the checkpoint row. */
  readonly owner: string;
  /** The checkpoint's offset as this runner left it: a batch moves it only from there. */
  readonly appliedOffset: number;
  readonly leaseMs: number;
  readonly log: Logger;
}

/**
 * Applies a batch in one transaction of two round trips: the BEGIN, the checkpoint's move (made
 * first, guarded by this runner's lease, the running state and the offset it read from), the
 * parked events and the projection's reads leave together; the projection's writes leave with
 * the COMMIT, which is sent only once the guard held. A guard that failed rolls the batch back.
 * Every event the batch could read is applied or the whole batch fails, so the checkpoint's
 * figures are known before the projection runs.
 */
export async function applyPipelined(context: BatchContext, batch: ReadBatch): Promise<BatchResult> {
  const { name } = context.projection;
  const { readable, unreadable, lastOffset, lastAt, stopPolicy } = batch;
  const stopWith = stopPolicy ? unreadable[0] : undefined;
  const move = { lastOffset, lastAt, applied: readable.length, stopWith, leaseMs: context.leaseMs };
  return pipelinedTransaction(context.sql, async (tx, sendCommit) => {
    // Sent as they are created (see pipelinedTransaction), in this order, in one write.
    const sent: Promise<unknown>[] = [
      tx`set local synchronous_commit = off`,
      ...unreadable.map((event) => parkEvent(tx, name, event, event.raw, event.error)),
    ];
    let guardHeld: boolean | undefined;
    const guard = moveCheckpoint(tx, name, move, { owner: context.owner, from: context.appliedOffset }).then(
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
        if (!guardHeld) throw new LeaseLost(await whyNotMoved(tx, context));
        await sendCommit();
      })());
    await Promise.all([...sent, context.projection.apply(tx, readable, commit)]);
    await commit();
    return { applied: readable.length, parked: unreadable.length, stopWith };
  });
}

/** Why the guarded checkpoint move found nothing to move, as a LeaseLost reason. */
async function whyNotMoved(tx: postgres.ReservedSql, context: BatchContext): Promise<string> {
  const { name } = context.projection;
  const [row] = await tx<{ owner: string | null; state: string }[]>`
    select owner, state from projections.checkpoints where name = ${name}`;
  if (!row || row.owner !== context.owner) return 'lease lost before commit';
  if (row.state !== 'running') return `projection is ${row.state}`;
  return 'checkpoint moved by a rebuild';
}

/**
 * Applies each event of a batch behind a savepoint of its own, in one transaction: only the
 * events at fault are parked. The checkpoint's row is locked and checked first.
 */
export async function applyIsolated(context: BatchContext, batch: ReadBatch): Promise<BatchResult> {
  const { name } = context.projection;
  const { readable, unreadable, lastOffset, lastAt, stopPolicy } = batch;
  return context.sql.begin(async (tx) => {
    // The commit need not wait for its WAL flush: the rows and the offset they reach commit
    // together, so a database crash that loses this transaction loses both, and the runner
    // reads those events again from the stream. Both statements go in one round trip.
    const [, [owned]] = await Promise.all([
      tx`set local synchronous_commit = off`,
      tx<{ state: string; stream_offset: string }[]>`
        select state, stream_offset from projections.checkpoints
        where name = ${name} and owner = ${context.owner} for update`,
    ]);
    if (!owned) throw new LeaseLost('lease lost before commit');
    if (owned.state !== 'running') throw new LeaseLost(`projection is ${owned.state}`);
    // A rebuild swapped its tables in and moved the checkpoint: read on from there.
    if (Number(owned.stream_offset) !== context.appliedOffset)
      throw new LeaseLost('checkpoint moved by a rebuild');
    const unapplied = [...unreadable];
    for (const item of readable) {
      try {
        await tx.savepoint((sp) => context.projection.apply(sp, [item]));
      } catch (error) {
        context.log.warn(
          { err: error, projection: name, offset: item.offset, index: item.index },
          'projection parks an event it cannot apply',
        );
        unapplied.push({ ...item, error: `apply failed: ${(error as Error).message}` });
      }
    }
    unapplied.sort((a, b) => a.offset - b.offset || a.index - b.index);
    for (const event of unapplied) await parkEvent(tx, name, event, event.raw, event.error);
    const stopWith = stopPolicy ? unapplied[0] : undefined;
    const applied = readable.length - (unapplied.length - unreadable.length);
    await moveCheckpoint(tx, name, { lastOffset, lastAt, applied, stopWith, leaseMs: context.leaseMs });
    return { applied, parked: unapplied.length, stopWith };
  });
}
