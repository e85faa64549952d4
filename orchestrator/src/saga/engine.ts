// The saga engine: applies transitions and persists each one — state, event log and outbox — in one transaction.
import { randomUUID } from 'node:crypto';
import {
  enqueueOutbox,
  enqueueOutboxForDispatch,
  type OutboxMessage,
  sagaEvents,
  sagaInstances,
  type Database,
  type NewOutboxMessage,
  type Transaction,
} from '@sagaport/db';
import { Header, PermanentError, routeOf, SCHEMA_VERSION, type Topology } from '@sagaport/rabbitmq';
import { and, eq, sql } from 'drizzle-orm';
import type { OutboxDispatcher } from '@sagaport/runtime';
import type { SagaDefinition } from './checkout-saga.js';
import { applyOperatorAction, applyReply, applyTimeout, startSaga } from './transition.js';
import {
  type CheckoutData,
  EventKind,
  type OperatorAction,
  type OperatorDecision,
  type ReplyInput,
  type SagaState,
  terminalStatuses,
  type Transition,
} from './types.js';

/** Channel of the NOTIFY sent when a saga ends; the payload is `<saga id>:<status>`. */
export const SAGA_ENDED_CHANNEL = 'sagaport_saga_ended';

export interface EngineOptions {
  readonly db: Database;
  readonly topology: Topology;
  readonly definition: SagaDefinition;
  /** Time a step may take before the scanner resends its command. */
  readonly stepTimeoutMs: number;
  /** Sends of one command (the first included) before the step is abandoned. */
  readonly maxSends: number;
  /** Publishes commands right after the commit; without it the relay (NOTIFY) does. */
  readonly dispatcher?: OutboxDispatcher;
  /** Called after each committed transition (metrics). */
  readonly onTransition?: (before: SagaState | null, after: Transition, sagaCreatedAt: Date) => void;
}

/** Stamps the awaited command with the time it is sent, for the step-duration metric. */
function stampSentAt<T extends Transition | undefined>(transition: T): T {
  if (!transition?.state.awaiting || transition.commands.length === 0) return transition;
  return {
    ...transition,
    state: { ...transition.state, awaiting: { ...transition.state.awaiting, sentAt: Date.now() } },
  };
}

/** Writes what must commit with a transition (an operator action's audit row) inside its transaction. */
export type InTransaction = (tx: Transaction, transition: Transition, before: SagaState) => Promise<void>;

/** Raised when another process moved the saga first; the caller reloads and tries again. */
class VersionConflict extends Error {}

/** Runs the saga definition against PostgreSQL; every method is safe to call from several processes. */
export class SagaEngine {
  constructor(private readonly options: EngineOptions) {}

  /**
   * Starts a saga inside the caller's transaction (the API adds its idempotency record to it).
   * Returns the outbox rows to hand to {@link dispatch} once that transaction has committed.
   */
  async start(tx: Transaction, sagaId: string, data: CheckoutData): Promise<OutboxMessage[]> {
    const transition = stampSentAt(startSaga(this.options.definition, data, randomUUID));
    await tx.insert(sagaInstances).values({
      id: sagaId,
      sagaType: this.options.definition.name,
      status: transition.state.status,
      currentStep: transition.state.awaiting?.step ?? null,
      state: transition.state,
      version: 1,
      deadlineAt: this.deadline(transition),
      orderId: data.orderId,
      customerId: data.customerId,
      email: data.email,
    });
    const rows = await this.record(tx, sagaId, 1, transition, sagaId);
    this.options.onTransition?.(null, transition, new Date());
    return rows;
  }

  /** Publishes committed outbox rows now (the fast path); the relay covers any that fail. */
  async dispatch(rows: readonly OutboxMessage[]): Promise<void> {
    await this.options.dispatcher?.dispatch(rows);
  }

  /** Applies a reply; a reply for an unknown saga is a permanent failure (dead-lettered with the reason). */
  async handleReply(sagaId: string | undefined, reply: ReplyInput): Promise<Transition> {
    if (!sagaId) throw new PermanentError(`reply ${reply.type} carries no saga id (correlationId)`);
    const received = {
      kind: EventKind.replyReceived,
      messageType: reply.type,
      messageId: reply.messageId,
      detail: reply.body,
    };
    return this.advance(sagaId, reply.messageId, (state) => {
      const transition = applyReply(this.options.definition, state, reply, randomUUID);
      return { ...transition, events: [received, ...transition.events] };
    });
  }

  /** Applies a missed deadline, if the saga is still past it when re-read. */
  async handleTimeout(sagaId: string): Promise<Transition | undefined> {
    return this.advance(sagaId, sagaId, (state, deadlineAt) =>
      deadlineAt && deadlineAt.getTime() <= Date.now()
        ? applyTimeout(this.options.definition, state, this.options.maxSends, randomUUID)
        : undefined,
    );
  }

  /**
   * Applies an operator's action for `actor` (an email); `alsoRecord` writes the audit row in the
   * same transaction. Returns why not when the action does not apply to the saga's state.
   */
  async operatorAction(
    sagaId: string,
    action: OperatorAction,
    actor: string,
    alsoRecord: InTransaction,
  ): Promise<OperatorDecision> {
    let refusal = '';
    const transition = await this.advance(
      sagaId,
      sagaId,
      (state) => {
        const decision = applyOperatorAction(this.options.definition, state, action, actor, randomUUID);
        refusal = decision.applicable ? '' : decision.reason;
        return decision.applicable ? decision.transition : undefined;
      },
      alsoRecord,
    );
    return transition ? { applicable: true, transition } : { applicable: false, reason: refusal };
  }

  private async advance<T extends Transition | undefined>(
    sagaId: string,
    causationId: string,
    decide: (state: SagaState, deadlineAt: Date | null) => T,
    alsoRecord?: InTransaction,
  ): Promise<T> {
    for (let attempt = 1; ; attempt += 1) {
      try {
        let rows: OutboxMessage[] = [];
        const result = await this.options.db.transaction(async (tx) => {
          const [row] = await tx
            .select({
              state: sagaInstances.state,
              version: sagaInstances.version,
              deadlineAt: sagaInstances.deadlineAt,
              createdAt: sagaInstances.createdAt,
            })
            .from(sagaInstances)
            .where(eq(sagaInstances.id, sagaId));
          if (!row) throw new PermanentError(`no saga ${sagaId}`);
          const before = row.state as SagaState;
          const transition = stampSentAt(decide(before, row.deadlineAt));
          if (!transition) return transition;
          const version = transition.changed
            ? await this.save(tx, sagaId, row.version, transition)
            : row.version;
          rows = await this.record(tx, sagaId, version, transition, causationId);
          await alsoRecord?.(tx, transition, before);
          if (transition.changed) this.options.onTransition?.(before, transition, row.createdAt);
          return transition;
        });
        await this.dispatch(rows);
        return result;
      } catch (error) {
        if (!(error instanceof VersionConflict) || attempt >= 10) throw error;
      }
    }
  }

  /** Writes the new state if nobody else did since we read it (optimistic concurrency). */
  private async save(
    tx: Transaction,
    sagaId: string,
    version: number,
    transition: Transition,
  ): Promise<number> {
    const { state } = transition;
    const ended = terminalStatuses.includes(state.status);
    const updated = await tx
      .update(sagaInstances)
      .set({
        status: state.status,
        currentStep: state.awaiting?.step ?? null,
        state,
        version: version + 1,
        outcome: ended ? state.status : null,
        failureReason: state.failure ? { code: state.failure.code, message: state.failure.message } : null,
        deadlineAt: this.deadline(transition),
        updatedAt: sql`now()`,
        // An operator's retry reopens a failed saga: it has not ended any more.
        endedAt: ended ? sql`now()` : null,
      })
      .where(and(eq(sagaInstances.id, sagaId), eq(sagaInstances.version, version)))
      .returning({ version: sagaInstances.version });
    if (updated.length === 0) throw new VersionConflict(`saga ${sagaId} moved on from version ${version}`);
    if (ended) await tx.execute(sql`select pg_notify(${SAGA_ENDED_CHANNEL}, ${`${sagaId}:${state.status}`})`);
    return version + 1;
  }

  /** Appends the transition's events and writes its commands to the outbox; returns rows to dispatch. */
  private async record(
    tx: Transaction,
    sagaId: string,
    version: number,
    transition: Transition,
    causationId: string,
  ): Promise<OutboxMessage[]> {
    const events = [
      ...transition.events.map((e) => ({
        sagaId,
        version,
        kind: e.kind,
        messageType: e.messageType ?? null,
        messageId: e.messageId ?? null,
        detail: e.detail ?? null,
      })),
      ...transition.commands.map((c) => ({
        sagaId,
        version,
        kind: EventKind.commandSent,
        messageType: c.type,
        messageId: c.messageId,
        detail: c.payload,
      })),
    ];
    if (events.length > 0) await tx.insert(sagaEvents).values(events);
    const messages: NewOutboxMessage[] = transition.commands.map((c) => ({
      messageId: c.messageId,
      ...routeOf(this.options.topology, c.type),
      messageType: c.type,
      correlationId: sagaId,
      headers: { [Header.schemaVersion]: SCHEMA_VERSION, [Header.causationId]: causationId },
      payload: c.payload,
    }));
    const dispatcher = this.options.dispatcher;
    if (dispatcher) return enqueueOutboxForDispatch(tx, messages, dispatcher.graceMs);
    await enqueueOutbox(tx, messages);
    return [];
  }

  private deadline(transition: Transition): Date | null {
    return transition.state.awaiting ? new Date(Date.now() + this.options.stepTimeoutMs) : null;
  }
}
