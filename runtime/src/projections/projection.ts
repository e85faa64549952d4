// What a projection is to the runtime: a name, and how it applies a batch of the stream's events.
import type { DomainEvent } from '@sagaport/rabbitmq';
import type postgres from 'postgres';
import type { Commit } from '../database/pipelined-transaction.js';

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
