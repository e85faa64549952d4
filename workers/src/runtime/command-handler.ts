// The idempotent command pattern every worker shares, a batch at a time: inbox claims, pipelined effects, stored replies.
import { randomUUID } from 'node:crypto';
import {
  claimInboxBatch,
  claimNewInboxBatch,
  InboxSeenBefore,
  insertOutboxRows,
  readInboxBatch,
  storeInboxReplies,
  type BatchInboxClaim,
  type NewOutboxMessage,
} from '@sagaport/db';
import {
  BusinessRefusal,
  ContractViolationError,
  PermanentError,
  replyContracts,
  TransientError,
  replyTypeOf,
  UnknownMessageTypeError,
  type CommandPayload,
  type CommandResult,
  type CommandType,
  eventHeaders,
  type EventType,
  type MessagePayload,
  type ReplyType,
  type Topology,
  type Worker,
} from '@sagaport/rabbitmq';
import { settle, tracingEnabled, type Commit, type Settled } from '@sagaport/runtime';
import { traceEffect } from './tracing.js';
import type postgres from 'postgres';
import { outboxRowOf, StoredReply, type CommandDelivery, type ProducedMessage } from './messages.js';
import type { WorkerSql } from './sql.js';
import { runAlone, type ConfirmedPublish, type RoundRun } from './round-run.js';

export type { CommandResult };

/**
 * What a domain handler gets: the batch's transaction, the payload and the saga it belongs to.
 *
 * Handlers of one batch run side by side in one transaction with no savepoint, their statements
 * pipelined on one connection. So a handler must **refuse before it writes**, or write with one
 * statement whose result tells whether it refused (and then wrote nothing): a BusinessRefusal
 * thrown after a write would keep that write. Anything else it throws fails the whole batch,
 * which the consumer then runs again one command at a time.
 *
 * A handler starts before its command's inbox claim has answered (they share a round trip). If
 * the command was seen before, the claim aborts the transaction and the handler's statements
 * fail. A handler calls nothing outside PostgreSQL inside the transaction: such calls (the
 * payment provider) are made before it, by `beforeTransaction`, and the handler reads their
 * answers. (With `claim: 'before-effects'`, a handler that must call out itself awaits one of its
 * statements first: a statement that succeeded means the claim did.)
 */
export interface CommandContext<T extends CommandType> {
  readonly sql: WorkerSql;
  readonly payload: CommandPayload<T>;
  /** The saga id (the command's correlation id). */
  readonly sagaId: string;
  /**
   * Raises a domain event of the order `payload.orderId`; `sequence` is its position in its
   * aggregate's life (1 for its first event). It is stored in the command's inbox row with
   * the reply and published only if the batch commits. Events raised before a BusinessRefusal
   * are kept (a declined payment is a fact too).
   */
  readonly emit: <E extends EventType>(
    type: E,
    payload: MessagePayload<E>,
    sequence: number,
  ) => Promise<void>;
}

/** Performs one command's effect and returns its result; throws BusinessRefusal to refuse. */
export type CommandHandler<T extends CommandType> = (context: CommandContext<T>) => Promise<CommandResult<T>>;

/** The commands a worker handles (`payment.charge`, `payment.refund` for `payment`). */
export type CommandsOf<W extends Worker> = Extract<CommandType, `${W}.${string}`>;

/** One handler per command of worker `W`; the compiler checks none is missing. */
export type CommandHandlers<W extends Worker> = { readonly [T in CommandsOf<W>]: CommandHandler<T> };

export type { ConfirmedPublish } from './round-run.js';

export interface CommandProcessorOptions<W extends Worker> {
  readonly worker: W;
  readonly sql: postgres.Sql;
  readonly topology: Topology;
  readonly handlers: CommandHandlers<W>;
  /**
   * Publishes replies and events right after the commit (see {@link createCommandBatchProcessor}).
   * Without it they go through the outbox table and a relay publishes them.
   */
  readonly publish?: ConfirmedPublish;
  /**
   * When commands are claimed in the inbox. `before-effects` (the default): each command is claimed
   * in front of its effect, so a handler that awaited one of its statements knows its command is
   * new (for a handler that must call out of PostgreSQL inside the transaction; the workers call
   * out before it, with `beforeTransaction`, and all claim `with-replies`).
   * `with-replies`: each command is claimed after its effect, together with its reply, in one
   * statement: one statement less per batch, and inbox rows written whole, never updated (no dead
   * rows). A redelivery still runs no effect twice: its claim fails and the batch is rolled back,
   * then run again with the inbox read first.
   */
  readonly claim?: 'before-effects' | 'with-replies';
  /** Runs first in each batch's transaction, pipelined with the effects (the inventory locks its stock in order). */
  readonly beforeEffects?: (sql: WorkerSql, commands: readonly CommandDelivery[]) => Promise<void>;
  /**
   * Runs before each batch's transaction, outside it, and resolves before the transaction
   * starts: the place for calls outside PostgreSQL (the payment provider), whose answers the
   * handlers then read inside the transaction without waiting. Returns what to do once the
   * batch is done, however it ended (forget those answers).
   */
  readonly beforeTransaction?: (commands: readonly CommandDelivery[]) => Promise<() => void>;
}

/** What processing a delivery did; the consumer ignores it, tests and logs use it. */
export interface CommandOutcome {
  readonly duplicate: boolean;
  readonly reply: StoredReply | null;
}

/** A command the batch did not process (no saga id, no handler), and why: the consumer dead-letters it. */
export interface RejectedCommand<C extends CommandDelivery = CommandDelivery> {
  readonly command: C;
  readonly error: unknown;
}

/** What processing a batch did: one outcome per processed command (in order), and the rejected ones. */
export interface BatchOutcome<C extends CommandDelivery = CommandDelivery> {
  readonly processed: readonly { readonly command: C; readonly outcome: CommandOutcome }[];
  readonly rejected: readonly RejectedCommand<C>[];
}

/** What one transaction did for a batch: its outcomes, and the replies and events to publish. */
export interface CommittedRun<C extends CommandDelivery = CommandDelivery> {
  readonly processed: readonly { readonly command: C; readonly outcome: CommandOutcome }[];
  readonly produced: readonly NewOutboxMessage[];
}

/** One worker's batch of commands on its way through one or more transactions (see {@link RoundRun}). */
export type CommandBatchRun<C extends CommandDelivery = CommandDelivery> = RoundRun<
  CommittedRun<C>,
  BatchOutcome<C>
>;

/** Processes a batch of command deliveries in one transaction; see {@link createCommandBatchProcessor}. */
export interface CommandBatchProcessor {
  <C extends CommandDelivery>(commands: readonly C[]): Promise<BatchOutcome<C>>;
  /** Starts a run of `commands` for a transaction the caller opens and commits. */
  start<C extends CommandDelivery>(commands: readonly C[]): CommandBatchRun<C>;
  /** The worker the processor serves. */
  readonly worker: Worker;
  /** Whether it calls anything outside PostgreSQL inside its transactions (claims before effects). */
  readonly claimsBeforeEffects: boolean;
  /** Runs `run` (the batch of `commands`) after the calls its handlers need from outside PostgreSQL are made. */
  prepared<T>(commands: readonly CommandDelivery[], run: () => Promise<T>): Promise<T>;
}

interface Accepted<C> {
  readonly command: C;
  readonly sagaId: string;
  readonly handler: CommandHandler<CommandType>;
}

/**
 * Builds the function that processes a batch of command deliveries for worker `W` in ONE
 * transaction and two round trips: claim every message in the inbox with one statement and run
 * the commands' effects side by side behind it, pipelined (see {@link CommandContext}); store
 * each reply, with the events its effect raised, in the inbox row with one statement; then
 * commit. A batch holding a redelivered command is rolled back by its claim and run again with
 * the claims read first, so only the new commands' effects run. With `publish`, the replies and events are published after the commit and the batch
 * resolves only once the broker confirmed them all: the consumer acks the commands after that.
 * If the process dies or the publish fails first, the commands are delivered again, found in the
 * inbox, and their stored reply and events are published again (consumers are idempotent):
 * nothing is lost and no effect is repeated, with no outbox row written or deleted.
 */
export function createCommandBatchProcessor<W extends Worker>(
  options: CommandProcessorOptions<W>,
): CommandBatchProcessor {
  const { worker, topology } = options;
  const withReplies = options.claim === 'with-replies';
  const start = <C extends CommandDelivery>(commands: readonly C[]): CommandBatchRun<C> => {
    const rejected: RejectedCommand<C>[] = [];
    const accepted: Accepted<C>[] = [];
    for (const command of commands) {
      try {
        accepted.push({
          command,
          sagaId: sagaIdOf(command),
          handler: handlerFor(options.handlers, command.type),
        });
      } catch (error) {
        rejected.push({ command, error });
      }
    }
    // Bet that every command is new (a redelivery is rare): claims and effects share a round trip.
    let expectNew = true;
    let seenBefore = 0;
    return {
      get pending() {
        return accepted.length > 0;
      },
      inTransaction: (sql, commit) => processInTransaction(sql, accepted, options, commit, expectNew),
      recover(error) {
        // Rolled back: run it again, reading each message's claim first. Claimed with their
        // replies, commands can also meet a duplicate claimed between that read and their claim.
        if (error instanceof InboxSeenBefore && (expectNew || (withReplies && seenBefore < 3))) {
          expectNew = false;
          seenBefore += 1;
          return true;
        }
        if (!(error instanceof MembersFailed)) return false;
        // Rolled back: run the others again, without the commands that failed.
        for (const failure of error.failures) {
          const index = accepted.findIndex((a) => a.command === failure.command);
          if (index === -1) return false; // another run's failure: not ours to judge
          rejected.push({ command: failure.command as C, error: failure.error });
          accepted.splice(index, 1);
        }
        return true;
      },
      outcome: (committed) => ({ processed: committed?.processed ?? [], rejected }),
    };
  };
  const prepared = async <T>(commands: readonly CommandDelivery[], run: () => Promise<T>): Promise<T> => {
    if (!options.beforeTransaction) return run();
    const done = await options.beforeTransaction(commands);
    try {
      return await run();
    } finally {
      done();
    }
  };
  const processor = <C extends CommandDelivery>(commands: readonly C[]) =>
    prepared(commands, () => runAlone(start(commands), options.sql, options.publish));
  return Object.assign(processor, { start, worker, claimsBeforeEffects: !withReplies, prepared });

  /**
   * Two round trips: BEGIN, the claims and the effects; the replies (and outbox rows) and
   * COMMIT. With `expectNew` the claims are sent with the effects behind them, betting that no
   * command was seen before; if one was, the claim fails inside PostgreSQL, so no effect is
   * written, and the batch is run again without the bet: the claims are read first (three round
   * trips) and only the new commands' effects run.
   */
  async function processInTransaction<C extends CommandDelivery>(
    sql: postgres.ReservedSql,
    accepted: readonly Accepted<C>[],
    opts: CommandProcessorOptions<W>,
    commit: Commit,
    expectNew: boolean,
  ) {
    const delivery = ({ command, sagaId }: Accepted<C>) => ({
      messageId: command.messageId,
      messageType: command.type,
      correlationId: sagaId,
    });
    const distinct = new Set<string>();
    const firstCopies = accepted.filter(({ command }) => {
      if (distinct.has(command.messageId)) return false;
      distinct.add(command.messageId);
      return true;
    });
    let claims: Map<string, BatchInboxClaim>;
    let betOnNew: Promise<Settled<void>> | undefined;
    if (expectNew) {
      // Its failure aborts every statement sent after it: handlers see errors, not effects.
      if (!withReplies) betOnNew = settle(claimNewInboxBatch(sql, worker, firstCopies.map(delivery)));
      claims = new Map(firstCopies.map(({ command }) => [command.messageId, { firstDelivery: true }]));
    } else if (withReplies) {
      claims = await readInboxBatch(
        sql,
        worker,
        firstCopies.map(({ command }) => command.messageId),
      );
    } else {
      claims = await claimInboxBatch(sql, worker, firstCopies.map(delivery));
    }
    const candidates = firstCopies.filter(({ command }) => claims.get(command.messageId)?.firstDelivery);
    const [claimed, locked, ...settled] = await Promise.all([
      betOnNew,
      settle(
        Promise.resolve(
          opts.beforeEffects?.(
            sql,
            candidates.map((f) => f.command),
          ),
        ),
      ),
      ...candidates.map((item) => settle(runEffect(sql, item))),
    ]);
    if (claimed && 'error' in claimed) throw claimed.error;
    if ('error' in locked) throw locked.error;
    // A handler that threw one of our errors (a provider's 503, a concurrent duplicate) failed
    // for its own command: the batch is rolled back and run again without it, and only that
    // command is retried or dead-lettered. Anything else (a failed statement, a lost connection,
    // a bug) fails the whole batch, and the consumer runs its commands one at a time.
    // Every command that failed this way leaves together: none of them runs a second time.
    const failures = settled.flatMap((outcome, index) =>
      'error' in outcome ? [{ command: candidates[index]!.command, error: outcome.error }] : [],
    );
    const foreign = failures.find(({ error }) => !isOwnFailure(error));
    if (foreign) throw foreign.error;
    if (failures.length > 0) throw new MembersFailed(failures);
    const firsts = candidates;
    const effects = settled.flatMap((outcome) => ('value' in outcome ? [outcome.value] : []));
    const stored = new Map<string, StoredReply>();
    firsts.forEach(({ command }, index) => {
      const effect = effects[index]!;
      const type = replyTypeOf(command.type as CommandType);
      stored.set(command.messageId, {
        messageId: randomUUID(),
        type,
        payload: checkReply(type, effect.payload),
        ...(effect.events.length > 0 ? { events: effect.events } : {}),
      });
    });
    const processed: { command: C; outcome: CommandOutcome }[] = [];
    const produced: NewOutboxMessage[] = [];
    for (const { command, sagaId } of accepted) {
      const mine = stored.get(command.messageId);
      const first = mine !== undefined && !processed.some((p) => p.command.messageId === command.messageId);
      const claim = claims.get(command.messageId)!;
      const reply =
        mine ?? (claim.firstDelivery || claim.reply === null ? null : StoredReply.parse(claim.reply));
      if (reply) {
        produced.push(outboxRowOf(topology, command, sagaId, reply));
        // Events go out with the first run; a redelivery publishes them again only where no outbox keeps them.
        if (first || opts.publish) {
          for (const event of reply.events ?? [])
            produced.push(outboxRowOf(topology, command, sagaId, event));
        }
      }
      processed.push({ command, outcome: { duplicate: !first, reply } });
    }
    const replies = [...stored].map(([messageId, reply]) => ({ messageId, reply }));
    const [claimedWithReplies, , committed] = await Promise.all([
      settle(
        withReplies
          ? claimNewInboxBatch(
              sql,
              worker,
              firsts.map((first) => ({ ...delivery(first), reply: stored.get(first.command.messageId) })),
            )
          : storeInboxReplies(sql, worker, replies),
      ),
      // Without a publisher, the outbox carries them: written in this transaction, relayed after it.
      settle(opts.publish ? Promise.resolve([]) : insertOutboxRows(sql, produced, 0)),
      settle(commit()),
    ]);
    // The claim's own error explains the ROLLBACK behind it.
    if ('error' in claimedWithReplies) throw claimedWithReplies.error;
    if ('error' in committed) throw committed.error;
    return { processed, produced } satisfies CommittedRun<C>;
  }

  async function runEffect<C extends CommandDelivery>(sql: postgres.ReservedSql, item: Accepted<C>) {
    const { command, sagaId, handler } = item;
    const events: ProducedMessage[] = [];
    try {
      const effect = () =>
        handler({
          sql,
          // The consumer checked the payload against the command's contract.
          payload: command.payload as never,
          sagaId,
          emit: async (type, payload, sequence) => {
            const aggregateId = payload.orderId;
            events.push({
              messageId: randomUUID(),
              type,
              payload,
              headers: eventHeaders(type, { aggregateId, sequence }),
            });
          },
        });
      const result = await (tracingEnabled() ? traceEffect(command, sagaId, effect) : effect());
      return { payload: { outcome: 'succeeded', result } as unknown, events };
    } catch (error) {
      if (!(error instanceof BusinessRefusal)) throw error;
      return {
        payload: {
          outcome: 'failed',
          reason: { code: error.code, message: error.message.slice(0, 2000) },
        } as unknown,
        events,
      };
    }
  }
}

/**
 * The one-command form of {@link createCommandBatchProcessor}: processes `command` alone and
 * throws what would have rejected it.
 */
export function createCommandProcessor<W extends Worker>(
  options: CommandProcessorOptions<W>,
): (command: CommandDelivery) => Promise<CommandOutcome> {
  const processBatch = createCommandBatchProcessor(options);
  return async (command) => {
    const { processed, rejected } = await processBatch([command]);
    if (rejected[0]) throw rejected[0].error;
    return processed[0]!.outcome;
  };
}

/** Commands whose handlers failed on their own account; the batch is rolled back and run without them. */
class MembersFailed extends Error {
  constructor(readonly failures: readonly { command: CommandDelivery; error: unknown }[]) {
    super(`${failures.length} commands of the batch failed`);
  }
}

/** Whether a handler's error is about its own command (thrown before it wrote) rather than the transaction. */
function isOwnFailure(error: unknown): boolean {
  return (
    (error instanceof TransientError || error instanceof PermanentError) &&
    !(error.cause instanceof Error && error.cause.name === 'PostgresError')
  );
}

function handlerFor<W extends Worker>(
  handlers: CommandHandlers<W>,
  type: string,
): CommandHandler<CommandType> {
  if (!Object.hasOwn(handlers, type)) throw new UnknownMessageTypeError(`no handler for "${type}"`);
  return handlers[type as CommandsOf<W>];
}

function sagaIdOf(command: CommandDelivery): string {
  if (!command.correlationId) {
    throw new ContractViolationError(`${command.type} has no saga id`, [
      'properties.correlationId: required',
    ]);
  }
  return command.correlationId;
}

/** A reply that breaks its own contract is a bug in the worker: dead-letter the command, reply nothing. */
function checkReply(type: ReplyType, payload: unknown): unknown {
  const parsed = replyContracts[type].safeParse(payload);
  if (!parsed.success) {
    throw new PermanentError(`${type} produced by the worker breaks its contract: ${parsed.error.message}`);
  }
  return parsed.data;
}
