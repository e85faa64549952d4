// Redelivered messages run alone, so a message that kills its process is told apart from the ones that died with it.
import { createHash } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { PermanentError } from './errors.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';

/**
 * Where a process records, durably and before it runs a suspect, that it is about to: a record
 * still there at the suspect's next delivery means the process died while running it alone.
 */
export interface CrashLedger {
  /**
   * Records one more run of message `key` alone and returns how many earlier runs of it never
   * reached {@link end} (each one a process that died while running it and nothing else).
   */
  begin(key: string): Promise<number>;
  /** The run finished, whatever its outcome: forgets the message. */
  end(key: string): Promise<void>;
}

/** A message that killed its process each time it ran alone: dead-lettered with this reason, not run again. */
export class CrashLoopError extends PermanentError {
  override readonly name = 'CrashLoopError';
}

/** A delivery that was handed to a consumer before and not acked: the channel, connection or process died with it. */
export function isSuspect(raw: ConsumeMessage): boolean {
  return raw.fields.redelivered;
}

/** The ledger key of a delivery: its queue and message id (or a digest of its body when it has none). */
export function suspectKey(queue: string, raw: ConsumeMessage): string {
  const id = raw.properties.messageId as unknown;
  const name =
    typeof id === 'string' && id.length > 0 && id.length <= 200
      ? id
      : `sha256:${createHash('sha256').update(raw.content).digest('hex')}`;
  return `${queue}/${name}`;
}

/** Deaths of a process running a suspect alone before it is dead-lettered, unless configured (`AMQP_CRASH_LIMIT`). */
export const defaultCrashLimit = 2;

export interface SuspectLaneOptions {
  /** Without a ledger, suspects still run alone but are never judged (the broker's delivery limit is the only guard). */
  readonly ledger?: CrashLedger;
  /**
   * Deaths of the process while a suspect ran alone after which it is dead-lettered instead of
   * run again (`AMQP_CRASH_LIMIT`). Below the queues' delivery limit, so the lane decides first.
   */
  readonly crashLimit?: number;
  readonly logger?: Logger;
}

/** What the lane decided for a suspect. */
export interface SuspectVerdict {
  readonly key: string;
  /** Set when the suspect must not run again: it killed its process `crashLimit` times already. */
  readonly crashLoop?: CrashLoopError;
}

/**
 * The process-wide gate of every consumer of a process. A delivery that came back unacked (its
 * channel, connection or process died while it was in flight) may be the one that killed it, or
 * one that died with it: every message in flight anywhere in the process comes back, and each
 * return counts towards the quorum queue's delivery limit. If they simply ran again together, a
 * message that crashes its worker would take its neighbours to the limit with it, and the broker
 * would dead-letter them all.
 *
 * So a suspect runs alone: the lane waits until no batch of any consumer of the process is
 * running, holds new batches back (suspects first, so a steady load cannot starve them), and runs
 * the suspect by itself, one at a time. Before it runs, the ledger records it durably; after, it
 * forgets it. A record still there at the next delivery means the process died while running that
 * message and nothing else: after `crashLimit` such deaths the message is dead-lettered with the
 * reason instead of run again. Its neighbours, run alone too, complete on their own.
 *
 * Normal batches share the gate, as before. Work outside the consumers (HTTP requests, the
 * projections' stream reader) does not take part; a crash there while a suspect runs alone is
 * counted against the suspect.
 */
export class SuspectLane {
  private readonly log: Logger;
  /** Batches running now. */
  private shared = 0;
  /** Suspects waiting or running. */
  private suspects = 0;
  /** A suspect is running. */
  private exclusive = false;
  private waiters: (() => void)[] = [];
  private readonly crashLimit: number;

  constructor(private readonly options: SuspectLaneOptions) {
    this.log = options.logger ?? silentLogger;
    this.crashLimit = options.crashLimit ?? defaultCrashLimit;
    if (!Number.isInteger(this.crashLimit) || this.crashLimit < 1)
      throw new Error(`crashLimit must be a whole number of at least 1, not ${this.crashLimit}`);
  }

  /** Runs a normal batch: at once, alongside other batches, unless suspects are waiting or running. */
  async withBatch<T>(work: () => Promise<T>): Promise<T> {
    while (this.suspects > 0) await this.wait();
    this.shared += 1;
    try {
      return await work();
    } finally {
      this.shared -= 1;
      this.wakeAll();
    }
  }

  /**
   * Runs a suspect alone (no batch and no other suspect of the process at the same time): first
   * the ledger's verdict, then `run` if it may run, or `reject` with the reason if it killed the
   * process `crashLimit` times already.
   */
  async alone<T>(
    queue: string,
    raw: ConsumeMessage,
    run: () => Promise<T>,
    reject: (error: CrashLoopError) => Promise<T>,
  ): Promise<T> {
    this.suspects += 1;
    try {
      while (this.exclusive || this.shared > 0) await this.wait();
      this.exclusive = true;
      try {
        const verdict = await this.verdict(queue, raw);
        try {
          return await (verdict.crashLoop ? reject(verdict.crashLoop) : run());
        } finally {
          await this.forget(verdict.key);
        }
      } finally {
        this.exclusive = false;
      }
    } finally {
      this.suspects -= 1;
      this.wakeAll();
    }
  }

  /** The ledger's verdict for a suspect; a ledger that cannot be reached lets it run (the delivery limit still guards). */
  private async verdict(queue: string, raw: ConsumeMessage): Promise<SuspectVerdict> {
    const key = suspectKey(queue, raw);
    const { ledger } = this.options;
    const { crashLimit } = this;
    if (!ledger) return { key };
    let deaths: number;
    try {
      deaths = await ledger.begin(key);
    } catch (error) {
      this.log.warn(
        { err: error, queue, key },
        'crash ledger unreachable; running the redelivered message alone',
      );
      return { key };
    }
    if (deaths < crashLimit) {
      if (deaths > 0)
        this.log.warn(
          { queue, key, deaths },
          'this redelivered message was running alone when its process died; running it alone again',
        );
      return { key };
    }
    return {
      key,
      crashLoop: new CrashLoopError(
        `the process died ${deaths} time(s) while it ran this message alone (AMQP_CRASH_LIMIT ${crashLimit}): it likely crashes or hangs its consumer; see that process's log for the crash`,
      ),
    };
  }

  private async forget(key: string): Promise<void> {
    try {
      await this.options.ledger?.end(key);
    } catch (error) {
      this.log.warn({ err: error, key }, 'crash ledger unreachable; its record of this message stays');
    }
  }

  private wait(): Promise<void> {
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  private wakeAll(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}

/** A ledger in memory: for tests, and a process's lane where no database is at hand (it does not survive the process). */
export class MemoryCrashLedger implements CrashLedger {
  readonly runs = new Map<string, number>();

  begin(key: string): Promise<number> {
    const earlier = this.runs.get(key) ?? 0;
    this.runs.set(key, earlier + 1);
    return Promise.resolve(earlier);
  }

  end(key: string): Promise<void> {
    this.runs.delete(key);
    return Promise.resolve();
  }
}
