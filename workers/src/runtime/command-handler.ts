// The idempotent command pattern every worker shares, a batch at a time: inbox claims, effects in savepoints, stored replies via the outbox.
import { randomUUID } from 'node:crypto';
import {
  claimInboxBatch,
  enqueueOutbox,
  enqueueOutboxForDispatch,
  storeInboxReplies,
  type Database,
  type NewOutboxMessage,
  type Transaction,
} from '@sagaport/db';
import type { OutboxDispatcher } from '@sagaport/runtime';
import {
  BusinessRefusal,
  ContractViolationError,
  PermanentError,
  replyContracts,
  replyTypeOf,
  UnknownMessageTypeError,
  type CommandPayload,
  type CommandType,
  type EventType,
  type MessagePayload,
  type ReplyPayload,
  type ReplyType,
  type Topology,
  type Worker,
} from '@sagaport/rabbitmq';
import { outboxRowOf, StoredReply, type CommandDelivery } from './messages.js';

/** The `result` of a command's succeeded reply. */
export type CommandResult<T extends CommandType> = Extract<
  ReplyPayload<`${T}.reply`>,
  { outcome: 'succeeded' }
>['result'];

/** What a domain handler gets: the savepoint to work in, the payload and the saga it belongs to. */
export interface CommandContext<T extends CommandType> {
  /** A savepoint inside the command's transaction; a BusinessRefusal rolls back exactly this. */
  readonly tx: Transaction;
  readonly payload: CommandPayload<T>;
  /** The saga id (the command's correlation id). */
  readonly sagaId: string;
  /** Enqueues a domain event; it is published only if the effect commits. */
  readonly emit: <E extends EventType>(type: E, payload: MessagePayload<E>) => Promise<void>;
}

/** Performs one command's effect and returns its result; throws BusinessRefusal to refuse. */
export type CommandHandler<T extends CommandType> = (context: CommandContext<T>) => Promise<CommandResult<T>>;

/** The commands a worker handles (`payment.charge`, `payment.refund` for `payment`). */
export type CommandsOf<W extends Worker> = Extract<CommandType, `${W}.${string}`>;

/** One handler per command of worker `W`; the compiler checks none is missing. */
export type CommandHandlers<W extends Worker> = { readonly [T in CommandsOf<W>]: CommandHandler<T> };

export interface CommandProcessorOptions<W extends Worker> {
  readonly worker: W;
  readonly db: Database;
  readonly topology: Topology;
  readonly handlers: CommandHandlers<W>;
  /** Publishes the reply right after the commit; without it the orchestrator's relay does. */
  readonly dispatcher?: OutboxDispatcher;
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

/** Processes a batch of command deliveries in one transaction; see {@link createCommandBatchProcessor}. */
export type CommandBatchProcessor = <C extends CommandDelivery>(
  commands: readonly C[],
) => Promise<BatchOutcome<C>>;

/**
 * Builds the function that processes a batch of command deliveries for worker `W`, in ONE
 * transaction: claim every message in the inbox with one statement (a redelivery re-enqueues
 * the stored reply, same message id, and changes nothing else); run each new command's effect
 * in its own savepoint, turning a BusinessRefusal into a failed reply with no effect; store the
 * replies in the inbox and write them, with the domain events, to the outbox in one statement
 * each; after the commit, publish them and wait for their confirms. Any other error rolls the
 * whole batch back (claims included) and reaches the consumer, which runs the batch's commands
 * again one at a time, so only the failing one is retried or dead-lettered.
 */
export function createCommandBatchProcessor<W extends Worker>(
  options: CommandProcessorOptions<W>,
): CommandBatchProcessor {
  const { worker, db, topology } = options;
  return async <C extends CommandDelivery>(commands: readonly C[]): Promise<BatchOutcome<C>> => {
    const rejected: RejectedCommand<C>[] = [];
    const accepted: { command: C; sagaId: string; handler: CommandHandler<CommandType> }[] = [];
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
    if (accepted.length === 0) return { processed: [], rejected };
    const { processed, rows } = await db.transaction(async (tx) => {
      const claims = await claimInboxBatch(
        tx,
        worker,
        accepted.map(({ command, sagaId }) => ({
          messageId: command.messageId,
          messageType: command.type,
          correlationId: sagaId,
        })),
      );
      const outbox: NewOutboxMessage[] = [];
      const replies = new Map<string, StoredReply | null>();
      const done: { command: C; outcome: CommandOutcome }[] = [];
      for (const { command, sagaId, handler } of accepted) {
        const claim = claims.get(command.messageId)!;
        if (!claim.firstDelivery || replies.has(command.messageId)) {
          // Seen before (another delivery, or earlier in this very batch): send the same reply again.
          const stored = replies.has(command.messageId)
            ? replies.get(command.messageId)!
            : claim.firstDelivery || claim.reply === null
              ? null
              : StoredReply.parse(claim.reply);
          if (stored) outbox.push(outboxRowOf(topology, command, sagaId, stored));
          done.push({ command, outcome: { duplicate: true, reply: stored } });
          continue;
        }
        const type = replyTypeOf(command.type as CommandType);
        const effect = await runEffect(tx, handler, { command, sagaId, topology });
        const reply: StoredReply = {
          messageId: randomUUID(),
          type,
          payload: checkReply(type, effect.payload),
        };
        replies.set(command.messageId, reply);
        outbox.push(...effect.events, outboxRowOf(topology, command, sagaId, reply));
        done.push({ command, outcome: { duplicate: false, reply } });
      }
      await storeInboxReplies(
        tx,
        worker,
        [...replies].map(([messageId, reply]) => ({ messageId, reply })),
      );
      const written = options.dispatcher
        ? await enqueueOutboxForDispatch(tx, outbox, options.dispatcher.graceMs)
        : (await enqueueOutbox(tx, outbox), []);
      return { processed: done, rows: written };
    });
    await options.dispatcher?.dispatch(rows);
    return { processed, rejected };
  };
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

/**
 * Runs the domain handler in a savepoint; a refusal undoes the savepoint and becomes a failed
 * reply. Returns the reply payload and the outbox rows of the events the effect raised (none
 * when it was refused: they were raised by work that was undone).
 */
async function runEffect(
  tx: Transaction,
  handler: CommandHandler<CommandType>,
  context: { command: CommandDelivery; sagaId: string; topology: Topology },
): Promise<{ payload: unknown; events: NewOutboxMessage[] }> {
  const { command, sagaId, topology } = context;
  const events: NewOutboxMessage[] = [];
  try {
    const result = await tx.transaction((savepoint) =>
      handler({
        tx: savepoint,
        // The consumer checked the payload against the command's contract.
        payload: command.payload as never,
        sagaId,
        emit: async (type, payload) => {
          events.push(outboxRowOf(topology, command, sagaId, { messageId: randomUUID(), type, payload }));
        },
      }),
    );
    return { payload: { outcome: 'succeeded', result }, events };
  } catch (error) {
    if (!(error instanceof BusinessRefusal)) throw error;
    return {
      payload: { outcome: 'failed', reason: { code: error.code, message: error.message.slice(0, 2000) } },
      events: [],
    };
  }
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
