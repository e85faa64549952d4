// A batch's work as one transaction runs it, alone or in a shared round.
import type { NewOutboxMessage } from '@sagaport/db';
import { pipelinedTransaction, type Commit } from '@sagaport/runtime';
import type postgres from 'postgres';

/** Publishes messages with confirms; resolves once every one is confirmed, rejects otherwise. */
export type ConfirmedPublish = (messages: readonly NewOutboxMessage[]) => Promise<void>;

/** What a run's transaction wrote: at least the messages to publish once it committed. */
export interface Produced {
  readonly produced: readonly NewOutboxMessage[];
}

/**
 * One consumer batch on its way through one or more transactions: run alone ({@link runAlone})
 * or with other consumers' batches in one shared transaction (`CommandRounds`).
 */
export interface RoundRun<R extends Produced = Produced, O = unknown> {
  /** Whether work is left to run (false once every message was rejected). */
  readonly pending: boolean;
  /**
   * Runs the work left in the open transaction `sql`, calling `commit` together with its last
   * statements (see `pipelinedTransaction`); rejects when the transaction must be rolled back.
   */
  inTransaction(sql: postgres.ReservedSql, commit: Commit): Promise<R>;
  /**
   * Judges the error a rolled-back transaction of this run failed with: true when it was the
   * run's own and the run adjusted itself to go again (the inbox read first after a redelivery,
   * the messages that failed on their own account set aside); false otherwise.
   */
  recover(error: unknown): boolean;
  /** The batch's outcome, given what its committed transaction did (nothing when none did). */
  outcome(committed?: R): O;
}

/**
 * Runs `run` in transactions of its own on `sql` until it committed or failed for a reason that
 * is not its own (thrown), then publishes what it produced (resolving once the broker confirmed).
 */
export async function runAlone<R extends Produced, O>(
  run: RoundRun<R, O>,
  sql: postgres.Sql,
  publish: ConfirmedPublish | undefined,
): Promise<O> {
  for (;;) {
    if (!run.pending) return run.outcome();
    try {
      const committed = await pipelinedTransaction(sql, (tx, commit) => run.inTransaction(tx, commit));
      if (publish && committed.produced.length > 0) await publish(committed.produced);
      return run.outcome(committed);
    } catch (error) {
      if (!run.recover(error)) throw error;
    }
  }
}
