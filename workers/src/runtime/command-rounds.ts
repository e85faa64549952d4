// Several workers of one process commit their command batches in one shared transaction: a group commit with no timer.
import {
  pipelinedTransaction,
  settle,
  TransactionAborted,
  type Commit,
  type Settled,
} from '@sagaport/runtime';
import type postgres from 'postgres';
import type { CommandBatchProcessor } from './command-handler.js';
import type { CommandDelivery } from './messages.js';
import { runAlone, type ConfirmedPublish, type Produced, type RoundRun } from './round-run.js';

/** A batch waiting for its round, and how to answer its consumer. */
interface Entry {
  readonly run: RoundRun;
  readonly resolve: (outcome: unknown) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * Runs the command batches of several workers of one process in shared transactions. Each worker
 * keeps its own queue, consumer, inbox and handlers; what a batch of one of them costs beyond
 * its statements (a transaction's BEGIN and COMMIT with its WAL flush, two round trips with
 * PostgreSQL, a publish and its confirms, a reply message for the orchestrator, a stream message
 * for the events) is paid once per round instead of once per worker.
 *
 * A round is a group commit with no timer: a batch that arrives while no round is in flight
 * starts one on the next turn of the event loop (so the other consumers' deliveries that came in
 * the same read of the socket join it); batches that arrive while a round is in flight (in its
 * transaction, or waiting for its publish's confirms) wait for it and leave together. A round's
 * replies and events are published after its commit, in one publish, and each batch resolves
 * once the broker confirmed them.
 *
 * A round fails only the batches at fault. When a run's own error rolls the transaction back (a
 * redelivered command, a command whose handler failed on its own account), that run adjusts
 * itself and the round goes again with every run; the others failed only with it. Any other
 * failure (a statement that failed for a reason of its own, a bug) sends every batch of the round
 * to a transaction of its own, where it succeeds or fails as it would have without the round.
 */
export class CommandRounds {
  private waiting: Entry[] = [];
  private inFlight = false;
  private scheduled = false;

  constructor(
    private readonly sql: postgres.Sql,
    private readonly publish: ConfirmedPublish | undefined,
  ) {}

  /**
   * `processor`'s batches, run in this process's rounds, each once the calls it needs from
   * outside PostgreSQL (the payment provider's) are answered: a round never waits for a remote
   * call. A processor that claims before its effects (whose handlers would call out inside the
   * transaction) keeps its own transactions.
   */
  join(processor: CommandBatchProcessor): CommandBatchProcessor {
    if (processor.claimsBeforeEffects) return processor;
    // What a batch needs from outside PostgreSQL is fetched before it joins a round: a round
    // never waits for it.
    const inRound = <C extends CommandDelivery>(commands: readonly C[]) =>
      processor.prepared(commands, () => this.run(processor.start(commands)));
    return Object.assign(inRound, {
      start: <C extends CommandDelivery>(commands: readonly C[]) => processor.start(commands),
      worker: processor.worker,
      claimsBeforeEffects: false,
      prepared: <T>(commands: readonly CommandDelivery[], run: () => Promise<T>) =>
        processor.prepared(commands, run),
    });
  }

  /** Runs `run` in the next round; resolves with its outcome once its messages are confirmed. */
  run<R extends Produced, O>(run: RoundRun<R, O>): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.waiting.push({
        run: run,
        resolve: resolve as (outcome: unknown) => void,
        reject,
      });
      this.kick();
    });
  }

  private kick(): void {
    if (this.inFlight || this.scheduled || this.waiting.length === 0) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      if (this.inFlight || this.waiting.length === 0) return;
      const entries = this.waiting;
      this.waiting = [];
      this.inFlight = true;
      void this.round(entries).finally(() => {
        this.inFlight = false;
        this.kick();
      });
    });
  }

  /**
   * Commits `entries` together (or, failing that, each alone), publishes what they produced and
   * answers them. The next round waits for this one's confirms, and so gathers every batch that
   * came meanwhile: fewer, larger rounds under load.
   */
  private async round(entries: readonly Entry[]): Promise<void> {
    let ended: Map<Entry, Ended>;
    try {
      ended = await this.commitTogether(entries);
    } catch (error) {
      for (const entry of entries) entry.reject(error);
      return;
    }
    const together: Entry[] = [];
    for (const entry of entries) {
      const end = ended.get(entry);
      // A batch the round could not commit with the others runs alone, beside the next rounds.
      if (!end) runAlone(entry.run, this.sql, this.publish).then(entry.resolve, entry.reject);
      else if ('error' in end) entry.reject(end.error);
      else together.push(entry);
    }
    if (together.length === 0) return;
    try {
      await this.publish?.(together.flatMap((entry) => (ended.get(entry) as Produced).produced));
    } catch (error) {
      for (const entry of together) entry.reject(error);
      return;
    }
    for (const entry of together) entry.resolve(entry.run.outcome(ended.get(entry) as Produced));
  }

  /**
   * Runs the pending runs of `entries` in one transaction until it commits, and tells how each
   * entry ended: committed, failed (a batch alone whose own error was not one it recovers from),
   * or missing from the map, to run alone (a failure not its own left its run unchanged). Throws
   * what failed the transaction itself (a lost connection).
   */
  private async commitTogether(entries: readonly Entry[]): Promise<Map<Entry, Ended>> {
    const ended = new Map<Entry, Ended>();
    for (;;) {
      for (const entry of entries)
        if (!entry.run.pending && !ended.has(entry)) ended.set(entry, { produced: [] });
      const active = entries.filter((entry) => !ended.has(entry));
      if (active.length === 0) return ended;
      let outcomes: Settled<Produced>[];
      try {
        outcomes = await pipelinedTransaction(this.sql, async (tx, commit) => {
          const shared = new SharedCommit(commit, active.length);
          const settled = await Promise.all(
            active.map((entry) =>
              settle(
                entry.run.inTransaction(tx, shared.commit).catch((error: unknown) => {
                  shared.abort();
                  throw error;
                }),
              ),
            ),
          );
          if (settled.some((outcome) => 'error' in outcome)) throw new RoundRolledBack(settled);
          return settled;
        });
      } catch (error) {
        if (!(error instanceof RoundRolledBack)) throw error;
        // Each run judges its own error; one that failed only because another did goes again as it was.
        let recovered = false;
        for (const [index, outcome] of error.outcomes.entries()) {
          if (!('error' in outcome) || isCollateral(outcome.error)) continue;
          if (active[index]!.run.recover(outcome.error)) {
            recovered = true;
            continue;
          }
          // Alone, the batch failed as it would have in a transaction of its own.
          if (active.length === 1) ended.set(active[0]!, { error: outcome.error });
          return ended; // the others run alone
        }
        if (!recovered) return ended;
        continue;
      }
      for (const [index, outcome] of outcomes.entries())
        ended.set(active[index]!, (outcome as { value: Produced }).value);
      return ended;
    }
  }
}

/** How a batch's round ended for it: committed, or failed with its own error. */
type Ended = Produced | { readonly error: unknown };

/** The transaction of a round was rolled back: what each of its runs did. */
class RoundRolledBack extends Error {
  constructor(readonly outcomes: readonly Settled<Produced>[]) {
    super('a run of the round failed');
  }
}

/** Another run of the round failed before its commit: this run wrote nothing either. */
class CommitAborted extends Error {
  override readonly name = 'CommitAborted';
}

/**
 * One COMMIT for the runs of a round: each run calls `commit` with its last statements (the
 * statements were sent the moment they were created), and the COMMIT leaves with the last call.
 */
class SharedCommit {
  private calls = 0;
  private readonly waiters: { resolve: () => void; reject: (error: unknown) => void }[] = [];
  private aborted = false;

  constructor(
    private readonly send: Commit,
    private readonly parties: number,
  ) {}

  readonly commit: Commit = () =>
    new Promise<void>((resolve, reject) => {
      if (this.aborted) return reject(new CommitAborted('another run of the round failed'));
      this.waiters.push({ resolve, reject });
      this.calls += 1;
      if (this.calls < this.parties) return;
      this.send().then(
        () => this.waiters.forEach((waiter) => waiter.resolve()),
        (error: unknown) => this.waiters.forEach((waiter) => waiter.reject(error)),
      );
    });

  /** A run failed before calling commit: the COMMIT never leaves, and the runs waiting for it fail. */
  abort(): void {
    if (this.aborted || this.calls >= this.parties) return;
    this.aborted = true;
    for (const waiter of this.waiters.splice(0))
      waiter.reject(new CommitAborted('another run of the round failed'));
  }
}

/** Whether `error` only echoes another run's failure in the same transaction. */
function isCollateral(error: unknown): boolean {
  if (error instanceof CommitAborted || error instanceof TransactionAborted) return true;
  // in_failed_sql_transaction: a statement behind another run's failed one.
  return (error as { code?: unknown } | null)?.code === '25P02';
}
