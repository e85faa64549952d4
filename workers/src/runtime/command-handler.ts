// The idempotent command pattern every worker shares: inbox claim, effect in a savepoint, stored reply via the outbox.
import { randomUUID } from 'node:crypto';
import {
  claimInbox,
  enqueueOutbox,
  enqueueOutboxForDispatch,
  storeInboxReply,
  type Database,
  type NewOutboxMessage,
  type OutboxMessage,
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

/**
 * Builds the function that processes one command delivery for worker `W`, in one transaction:
 * claim the message in the inbox (a redelivery re-enqueues the stored reply, same message id,
 * and changes nothing else); run the effect in a savepoint, turning a BusinessRefusal into a
 * failed reply with no effect; store the reply in the inbox and enqueue it in the outbox. Any
 * other error rolls the whole transaction back (claim included) and reaches the consumer,
 * which retries or dead-letters the delivery.
 */
export function createCommandProcessor<W extends Worker>(
  options: CommandProcessorOptions<W>,
): (command: CommandDelivery) => Promise<CommandOutcome> {
  const { worker, db, topology } = options;
  return async (command) => {
    const handler = handlerFor(options.handlers, command.type);
    const sagaId = sagaIdOf(command);
    let dispatch: OutboxMessage[] = [];
    const enqueueReply = async (tx: Transaction, row: NewOutboxMessage) => {
      if (options.dispatcher)
        dispatch = await enqueueOutboxForDispatch(tx, [row], options.dispatcher.graceMs);
      else await enqueueOutbox(tx, [row]);
    };
    const outcome = await db.transaction(async (tx) => {
      const claim = await claimInbox(tx, {
        consumer: worker,
        messageId: command.messageId,
        messageType: command.type,
        correlationId: sagaId,
      });
      if (!claim.firstDelivery) {
        const stored = claim.reply === null ? null : StoredReply.parse(claim.reply);
        if (stored) await enqueueReply(tx, outboxRowOf(topology, command, sagaId, stored));
        return { duplicate: true, reply: stored };
      }
      const type = replyTypeOf(command.type as CommandType);
      const payload = await runEffect(tx, handler, { command, sagaId, topology });
      const reply: StoredReply = { messageId: randomUUID(), type, payload: checkReply(type, payload) };
      await storeInboxReply(tx, { consumer: worker, messageId: command.messageId, reply });
      await enqueueReply(tx, outboxRowOf(topology, command, sagaId, reply));
      return { duplicate: false, reply };
    });
    await options.dispatcher?.dispatch(dispatch);
    return outcome;
  };
}

/** Runs the domain handler in a savepoint; a refusal undoes the savepoint and becomes a failed reply. */
async function runEffect(
  tx: Transaction,
  handler: CommandHandler<CommandType>,
  context: { command: CommandDelivery; sagaId: string; topology: Topology },
): Promise<unknown> {
  const { command, sagaId, topology } = context;
  try {
    const result = await tx.transaction((savepoint) =>
      handler({
        tx: savepoint,
        // The consumer checked the payload against the command's contract.
        payload: command.payload as never,
        sagaId,
        emit: async (type, payload) => {
          const event = { messageId: randomUUID(), type, payload };
          await enqueueOutbox(savepoint, [outboxRowOf(topology, command, sagaId, event)]);
        },
      }),
    );
    return { outcome: 'succeeded', result };
  } catch (error) {
    if (!(error instanceof BusinessRefusal)) throw error;
    return { outcome: 'failed', reason: { code: error.code, message: error.message.slice(0, 2000) } };
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
