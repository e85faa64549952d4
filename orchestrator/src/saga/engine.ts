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
import { and, eq, isNull, sql } from 'drizzle-orm';
import type postgres from 'postgres';
import { pipelinedTransaction, traceSend, tracingEnabled, type OutboxDispatcher } from '@sagaport/runtime';
import type { SagaDefinition } from './definition.js';
import type { SagaRegistry } from './registry.js';
import {
  insertSagaStarts,
  loadSagas,
  SAGA_ENDED_CHANNEL,
  VersionConflict,
  writeTransitions,
  type EndedSaga,
  type LoadedSaga,
  type OutboxRow,
  type SagaEventRow,
  type SagaUpdate,
  type WrittenTransitions,
} from './store.js';
import { SagaStateCache, type CachedSaga } from './state-cache.js';
import { applyOperatorAction, applyReply, applyTimeout, inFlight, startSaga } from './transition.js';
import { StartBatcher } from './start-batcher.js';
import {
  sagaTraceOf,
  traceTransition,
  withSagaTrace,
  type TraceCarrier,
  type TransitionKind,
  type TransitionSpan,
} from './tracing.js';
import {
  type AwaitedCommand,
  EventKind,
  type OperatorAction,
  type OperatorDecision,
  type ReplyInput,
  type SagaState,
  terminalStatuses,
  type Transition,
} from './types.js';

export { SAGA_ENDED_CHANNEL } from './store.js';

export interface EngineOptions {
  readonly db: Database;
  /** The postgres.js client under `db`: the hot path (replies, starts) uses prepared set-based SQL on it. */
  readonly sql: postgres.Sql;
  readonly topology: Topology;
  /** The saga definitions; each saga runs the one its row's `saga_type` names. */
  readonly registry: SagaRegistry;
  /** Time a step may take before the scanner resends its command, unless the step sets its own. */
  readonly stepTimeoutMs: number;
  /** Sends of one command (the first included) before the step is abandoned, unless the step sets its own. */
  readonly maxSends: number;
  /** Publishes commands right after the commit; without it the relay (NOTIFY) does. */
  readonly dispatcher?: OutboxDispatcher;
  /** Called after each committed transition (metrics). */
  readonly onTransition?: (
    sagaType: string,
    before: SagaState | null,
    after: Transition,
    sagaCreatedAt: Date,
  ) => void;
  /**
   * Called after the commit of each saga a batch of replies ended, with the row as written:
   * a client waiting for that saga is answered without reading it back.
   */
  readonly onEnded?: (saga: EndedSaga) => void;
  /** Called after each commit that changed sagas, with their ids (the console's live updates). */
  readonly onCommitted?: (sagaIds: readonly string[]) => void;
  /**
   * Called after each transaction of replies: how many sagas were decided from the state this
   * process kept (`kept`) or read from PostgreSQL (`read`), and how many of them were `written`
   * or found `stale` (moved on by another process: read and decided again).
   */
  readonly onDecided?: (source: 'kept' | 'read', outcome: 'written' | 'stale', count: number) => void;
  /** How many sagas' last written states this process keeps to decide replies without a read (0: none); 10,000 by default. */
  readonly stateCacheSize?: number;
}

/** Stamps the commands a transition sends with the time they are sent, for the step-duration metric. */
function stampSentAt<T extends Transition | undefined>(transition: T): T {
  if (!transition?.state.awaiting || transition.commands.length === 0) return transition;
  const sentAt = Date.now();
  const sent = new Set(transition.commands.map((c) => c.messageId));
  const stamp = (c: AwaitedCommand) => (sent.has(c.messageId) ? { ...c, sentAt } : c);
  const { awaiting, alongside } = transition.state;
  return {
    ...transition,
    state: {
      ...transition.state,
      awaiting: stamp(awaiting),
      ...(alongside ? { alongside: alongside.map(stamp) } : {}),
    },
  };
}

/** A saga past its deadline, as the timeout scanner read it. */
export interface DueSaga {
  readonly id: string;
  readonly version: number;
  readonly sagaType: string;
  /** The awaited step, and the type of the command it awaits a reply to. */
  readonly step: string | null;
  readonly commandType: string | null;
  /** When that command was last sent (epoch ms), if known. */
  readonly sentAt: number | null;
  /** The other commands of the stage in flight with it (their steps and types), if any. */
  readonly alongside?: readonly { readonly step: string; readonly type: string }[] | null;
}

/** Writes what must commit with a transition (an operator action's audit row) inside its transaction. */
export type InTransaction = (tx: Transaction, transition: Transition, before: SagaState) => Promise<void>;

/** A reply to apply, as the consumer delivered it; `ref` comes back with a rejection. */
export interface ReplyItem<R> {
  readonly sagaId: string | undefined;
  readonly reply: ReplyInput;
  readonly ref: R;
  /** The reply's headers: its trace context parents the transition's span when tracing is on. */
  readonly headers?: Record<string, unknown>;
}

/** What became of one reply of a batch: its transition, or why it was rejected. */
export type ReplyResult<R> =
  { readonly ref: R; readonly transition: Transition } | { readonly ref: R; readonly error: unknown };

/** What starting a saga needs: its idempotency record and its data. */
export interface SagaStartRequest<D = unknown> {
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly sagaId: string;
  readonly data: D;
}

/** Runs the saga definition against PostgreSQL; every method is safe to call from several processes. */
export class SagaEngine {
  /** Checkouts that arrive together start in one statement. */
  private readonly starts: StartBatcher;
  /** The states this process wrote last: most replies are decided without reading their saga. */
  private readonly cache: SagaStateCache;

  constructor(private readonly options: EngineOptions) {
    this.starts = new StartBatcher((batch) => insertSagaStarts(options.sql, batch));
    this.cache = new SagaStateCache(options.stateCacheSize ?? 10_000);
  }

  /**
   * Starts a saga of type `sagaType` (a registered definition) in one statement: the idempotency
   * key, the saga row with its business keys, its first events and commands commit together, and
   * only if the key is new; the starts that arrive together share that statement and its commit
   * ({@link StartBatcher}). Returns the outbox rows to hand to {@link dispatch}, or undefined when
   * the key was already taken.
   */
  async start(sagaType: string, start: SagaStartRequest): Promise<OutboxMessage[] | undefined> {
    const { sagaId } = start;
    const { registry } = this.options;
    const definition = registry.get(sagaType);
    const data = definition.data.parse(start.data);
    let transition = stampSentAt(startSaga(definition, data, randomUUID));
    const span = tracingEnabled() ? traceTransition('start', sagaId, undefined, null, transition) : undefined;
    const trace = span?.carrier;
    if (trace) transition = withSagaTrace(transition, trace);
    const deadlineAt = this.deadline(sagaType, transition);
    const keys = registry.keysOf(sagaType, data);
    const rows = await this.starts.insert({
      idempotencyKey: start.idempotencyKey,
      requestHash: start.requestHash,
      sagaId,
      sagaType,
      state: transition.state,
      deadlineAt,
      keys,
      events: this.eventRows(sagaId, 1, transition, deadlineAt, { sagaType, keys }),
      outbox: this.outboxRows(sagaId, transition, sagaId, trace),
      graceMs: this.graceMs,
    });
    if (rows) {
      span?.end();
      // created_at is the insert's now(), a moment before this; the cache's copy serves metrics only.
      this.cache.set(sagaId, { sagaType, state: transition.state, version: 1, createdAt: new Date() });
      this.options.onTransition?.(sagaType, null, transition, new Date());
    }
    if (rows) this.options.onCommitted?.([sagaId]);
    return rows;
  }

  /**
   * Applies a batch of replies in one transaction of, usually, one round trip: the sagas this
   * process moved last are decided from the states it keeps ({@link SagaStateCache}), the others
   * read in one statement; then the new states, event rows and outbox rows go in one statement
   * that writes each saga only if it is still at the version its transition was decided on, sent
   * with the COMMIT; after the commit the commands are published and their confirms awaited.
   * Replies of one saga are applied in delivery order, so a duplicate or a late reply in the same
   * batch is ignored as it would be alone. A reply without a saga id or for an unknown saga is
   * returned as rejected (a permanent failure: dead-lettered with the reason) and changes nothing.
   * A saga that another process (or a timeout, or an operator) moved meanwhile is read again and
   * its replies decided anew in a further transaction; the rest of the batch is not redone.
   */
  async handleReplies<R>(items: readonly ReplyItem<R>[]): Promise<ReplyResult<R>[]> {
    const results = new Array<ReplyResult<R> | undefined>(items.length);
    let pending = items.map((item, index) => ({ item, index }));
    for (let attempt = 1; pending.length > 0; attempt += 1) {
      const conflicted = await this.applyReplies(pending, results, attempt);
      if (conflicted.length > 0 && attempt >= 10) {
        const ids = [...new Set(conflicted.map((p) => p.item.sagaId))].join(', ');
        throw new VersionConflict(
          `sagas ${ids} kept moving on while their replies were applied (${attempt} attempts)`,
        );
      }
      pending = conflicted;
    }
    return results as ReplyResult<R>[];
  }

  /** One transaction of {@link handleReplies}; fills `results` and returns the replies of the sagas that moved on. */
  private async applyReplies<R>(
    pending: readonly { readonly item: ReplyItem<R>; readonly index: number }[],
    results: (ReplyResult<R> | undefined)[],
    /** 1, then 2 and on for the replies of sagas that moved on: those are read again, not taken from the cache. */
    attempt: number,
  ): Promise<{ readonly item: ReplyItem<R>; readonly index: number }[]> {
    const { registry } = this.options;
    const ids = [...new Set(pending.flatMap(({ item }) => (item.sagaId ? [item.sagaId] : [])))];
    const known = new Map<string, CachedSaga>();
    const read = new Set<string>();
    const invalid = new Map<string, unknown>();
    /** Each saga as the batch's replies left it (what the cache keeps if the write passes). */
    const decided = new Map<string, CachedSaga>();
    const decisions: { index: number; sagaId: string; result: ReplyResult<R>; span?: TransitionSpan }[] = [];
    const applied: {
      sagaId: string;
      sagaType: string;
      before: SagaState;
      after: Transition;
      createdAt: Date;
    }[] = [];
    // The commands of earlier batches that the broker confirmed leave the outbox with this one.
    const confirmedOutbox = this.options.dispatcher?.takeConfirmed() ?? [];
    let written: WrittenTransitions;
    try {
      written = await pipelinedTransaction(this.options.sql, async (sql, commit) => {
        const toRead: string[] = [];
        for (const id of ids) {
          const cached = attempt > 1 ? undefined : this.cache.get(id);
          if (cached) known.set(id, cached);
          else toRead.push(id);
        }
        const loaded = toRead.length > 0 ? await loadSagas(sql, toRead) : new Map<string, LoadedSaga>();
        for (const saga of loaded.values()) {
          read.add(saga.id);
          try {
            known.set(saga.id, {
              sagaType: saga.sagaType,
              state: registry.parseState(saga.sagaType, saga.state),
              version: saga.version,
              createdAt: saga.createdAt,
            });
          } catch (error) {
            invalid.set(saga.id, error);
          }
        }
        const updates = new Map<string, SagaUpdate>();
        const events: SagaEventRow[] = [];
        const outbox: OutboxRow[] = [];
        for (const { item, index } of pending) {
          const saga = item.sagaId ? known.get(item.sagaId) : undefined;
          if (!item.sagaId || !saga) {
            const error = item.sagaId ? invalid.get(item.sagaId) : undefined;
            results[index] = { ref: item.ref, error: error ?? this.unknownSaga(item) };
            continue;
          }
          const sagaId = item.sagaId;
          const now = decided.get(sagaId) ?? saga;
          const transition = this.replyTransition(saga.sagaType, now.state, item.reply);
          const version = transition.changed ? now.version + 1 : now.version;
          decided.set(sagaId, transition.changed ? { ...now, state: transition.state, version } : now);
          const deadlineAt = transition.changed ? this.deadline(saga.sagaType, transition) : null;
          if (transition.changed) {
            updates.set(sagaId, {
              id: sagaId,
              expectedVersion: saga.version,
              version,
              state: transition.state,
              deadlineAt,
              ended: terminalStatuses.includes(transition.state.status),
            });
            applied.push({
              sagaId,
              sagaType: saga.sagaType,
              before: now.state,
              after: transition,
              createdAt: saga.createdAt,
            });
          }
          events.push(...this.eventRows(sagaId, version, transition, deadlineAt));
          const span = tracingEnabled()
            ? traceTransition('reply', sagaId, item.headers, now.state, transition, attempt)
            : undefined;
          outbox.push(...this.outboxRows(sagaId, transition, item.reply.messageId, span?.carrier));
          decisions.push({ index, sagaId, result: { ref: item.ref, transition }, span });
        }
        const checks = [...decided.keys()]
          .filter((id) => !updates.has(id))
          .map((id) => ({ id, expectedVersion: known.get(id)!.version }));
        const writes = {
          updates: [...updates.values()],
          checks,
          events,
          outbox,
          graceMs: this.graceMs,
          confirmedOutbox,
        };
        const [result] = await Promise.all([writeTransitions(sql, writes), commit()]);
        return result;
      });
    } catch (error) {
      this.options.dispatcher?.giveBack(confirmedOutbox);
      for (const id of ids) this.cache.delete(id);
      throw error;
    }
    const { conflicts } = written;
    const counts = { kept: { written: 0, stale: 0 }, read: { written: 0, stale: 0 } };
    for (const sagaId of decided.keys())
      counts[read.has(sagaId) ? 'read' : 'kept'][conflicts.has(sagaId) ? 'stale' : 'written'] += 1;
    for (const source of ['kept', 'read'] as const) {
      for (const outcome of ['written', 'stale'] as const) {
        if (counts[source][outcome] > 0) this.options.onDecided?.(source, outcome, counts[source][outcome]);
      }
    }
    for (const [sagaId, saga] of decided) {
      if (conflicts.has(sagaId) || terminalStatuses.includes(saga.state.status)) this.cache.delete(sagaId);
      else this.cache.set(sagaId, saga);
    }
    for (const { index, sagaId, result, span } of decisions) {
      if (conflicts.has(sagaId)) continue;
      results[index] = result;
      span?.end();
    }
    const committed = applied.filter((a) => !conflicts.has(a.sagaId));
    for (const { sagaType, before, after, createdAt } of committed)
      this.options.onTransition?.(sagaType, before, after, createdAt);
    for (const saga of written.ended) this.options.onEnded?.(saga);
    if (committed.length > 0) this.options.onCommitted?.([...new Set(committed.map((a) => a.sagaId))]);
    await this.dispatch(written.outbox);
    return pending.filter(({ item }) => item.sagaId !== undefined && conflicts.has(item.sagaId));
  }

  /** Publishes committed outbox rows now (the fast path); the relay covers any that fail. */
  async dispatch(rows: readonly OutboxMessage[]): Promise<void> {
    await this.options.dispatcher?.dispatch(rows);
  }

  /** Applies one reply (see {@link handleReplies}); a reply for an unknown saga throws a PermanentError. */
  async handleReply(sagaId: string | undefined, reply: ReplyInput): Promise<Transition> {
    const [result] = await this.handleReplies([{ sagaId, reply, ref: reply.messageId }]);
    if (!result || 'error' in result) throw result?.error;
    return result.transition;
  }

  private unknownSaga(item: ReplyItem<unknown>): PermanentError {
    return item.sagaId
      ? new PermanentError(`no saga ${item.sagaId}`)
      : new PermanentError(`reply ${item.reply.type} carries no saga id (correlationId)`);
  }

  private replyTransition(sagaType: string, state: SagaState, reply: ReplyInput): Transition {
    const received = {
      kind: EventKind.replyReceived,
      messageType: reply.type,
      messageId: reply.messageId,
      detail: reply.body,
    };
    const definition = this.options.registry.get(sagaType);
    const transition = stampSentAt(applyReply(definition, state, reply, randomUUID));
    return { ...transition, events: [received, ...transition.events] };
  }

  /** Applies a missed deadline, if the saga is still past it when re-read. */
  async handleTimeout(sagaId: string): Promise<Transition | undefined> {
    return this.advance(sagaId, sagaId, 'timeout', (definition, state, deadlineAt) =>
      deadlineAt && deadlineAt.getTime() <= Date.now()
        ? applyTimeout(definition, state, this.options.maxSends, randomUUID)
        : undefined,
    );
  }

  /**
   * Moves the passed deadlines of `sagas` one step timeout on, without a resend and without
   * counting a send: their commands wait in a queue (see the timeout scanner), and a copy sent
   * now would only queue behind them. A saga that moved on since it was read (its version
   * changed) or whose deadline moved already is left alone. Returns the ids held.
   */
  async holdDeadlines(sagas: readonly DueSaga[]): Promise<string[]> {
    if (sagas.length === 0) return [];
    const input = JSON.stringify(
      sagas.map((s) => ({
        id: s.id,
        version: s.version,
        // A stage is held by its longest step timeout (all its commands are queued or resent together).
        ms: Math.max(
          ...[s.step, ...(s.alongside ?? []).map((c) => c.step)].map((step) =>
            this.timeoutMs(s.sagaType, step),
          ),
        ),
      })),
    );
    // Rows are locked in id order and busy ones skipped (a reply batch that holds one is moving
    // that saga on anyway), so a hold never waits on, or deadlocks with, a transition. The new
    // deadline has millisecond precision, like every deadline the engine writes from a Date.
    // The state's row in the event log carries the deadline too (what a rebuild restores).
    const held = await this.options.db.execute<{ id: string }>(sql`
      with input as (
        select * from jsonb_to_recordset(${input}::jsonb) as r(id uuid, version int, ms int)
      ), locked as (
        select s.id from saga.instances s join input r on r.id = s.id
        where s.version = r.version and s.deadline_at <= now()
        order by s.id for update of s skip locked
      ), held as (
        update saga.instances s
        set deadline_at = date_trunc('milliseconds', now() + make_interval(secs => r.ms / 1000.0))
        from input r where s.id = r.id and s.id in (select id from locked)
        returning s.id, s.version, s.deadline_at
      ), logged as (
        update saga.events e set deadline_at = h.deadline_at
        from held h where e.saga_id = h.id and e.version = h.version and e.state is not null
      )
      select id from held`);
    return held.map((row) => row.id);
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
      'operator',
      (definition, state) => {
        const decision = applyOperatorAction(definition, state, action, actor, randomUUID);
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
    kind: TransitionKind,
    decide: (definition: SagaDefinition, state: SagaState, deadlineAt: Date | null) => T,
    alsoRecord?: InTransaction,
  ): Promise<T> {
    // The saga moves here without the cache: its copy there is stale from now on.
    this.cache.delete(sagaId);
    for (let attempt = 1; ; attempt += 1) {
      try {
        let rows: OutboxMessage[] = [];
        let span: TransitionSpan | undefined;
        const result = await this.options.db.transaction(async (tx) => {
          const [row] = await tx
            .select({
              sagaType: sagaInstances.sagaType,
              state: sagaInstances.state,
              version: sagaInstances.version,
              deadlineAt: sagaInstances.deadlineAt,
              createdAt: sagaInstances.createdAt,
            })
            .from(sagaInstances)
            .where(eq(sagaInstances.id, sagaId));
          if (!row) throw new PermanentError(`no saga ${sagaId}`);
          const { registry } = this.options;
          const before = registry.parseState(row.sagaType, row.state);
          const transition = stampSentAt(decide(registry.get(row.sagaType), before, row.deadlineAt));
          if (!transition) return transition;
          const deadlineAt = transition.changed ? this.deadline(row.sagaType, transition) : null;
          const version = transition.changed
            ? await this.save(tx, sagaId, row.version, row.deadlineAt, transition, deadlineAt)
            : row.version;
          span = tracingEnabled()
            ? traceTransition(kind, sagaId, sagaTraceOf(before), before, transition, attempt)
            : undefined;
          rows = await this.record(tx, sagaId, version, transition, deadlineAt, causationId, span?.carrier);
          await alsoRecord?.(tx, transition, before);
          if (transition.changed)
            this.options.onTransition?.(row.sagaType, before, transition, row.createdAt);
          return transition;
        });
        span?.end();
        if (result?.changed) this.options.onCommitted?.([sagaId]);
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
    /** The deadline as read: a hold moves it without a new version, and must not be overwritten. */
    readDeadline: Date | null,
    transition: Transition,
    deadlineAt: Date | null,
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
        deadlineAt,
        updatedAt: sql`now()`,
        // An operator's retry reopens a failed saga: it has not ended any more.
        endedAt: ended ? sql`now()` : null,
      })
      .where(
        and(
          eq(sagaInstances.id, sagaId),
          eq(sagaInstances.version, version),
          readDeadline === null
            ? isNull(sagaInstances.deadlineAt)
            : sql`date_trunc('milliseconds', ${sagaInstances.deadlineAt}) = ${readDeadline.toISOString()}::timestamptz`,
        ),
      )
      .returning({ version: sagaInstances.version });
    if (updated.length === 0)
      throw new VersionConflict(`saga ${sagaId} moved on from version ${version} (or its deadline was held)`);
    if (ended) await tx.execute(sql`select pg_notify(${SAGA_ENDED_CHANNEL}, ${`${sagaId}:${state.status}`})`);
    return version + 1;
  }

  /** Appends the transition's events and writes its commands to the outbox; returns rows to dispatch. */
  private async record(
    tx: Transaction,
    sagaId: string,
    version: number,
    transition: Transition,
    deadlineAt: Date | null,
    causationId: string,
    trace?: TraceCarrier,
  ): Promise<OutboxMessage[]> {
    const events = this.eventRows(sagaId, version, transition, deadlineAt);
    if (events.length > 0) await tx.insert(sagaEvents).values([...events]);
    const messages: NewOutboxMessage[] = this.outboxRows(sagaId, transition, causationId, trace);
    const dispatcher = this.options.dispatcher;
    if (dispatcher) return enqueueOutboxForDispatch(tx, messages, dispatcher.graceMs);
    await enqueueOutbox(tx, messages);
    return [];
  }

  /**
   * The event log rows of a transition: its events, then one `command.sent` per command. A
   * state change leaves its new state and deadline on its last row, so `saga.instances` can be
   * rebuilt from the log (see rebuild.ts); a start's `saga.started` row names the saga type and
   * its business keys.
   */
  private eventRows(
    sagaId: string,
    version: number,
    transition: Transition,
    deadlineAt: Date | null,
    started?: { readonly sagaType: string; readonly keys: Record<string, string> },
  ): SagaEventRow[] {
    const rows: SagaEventRow[] = [
      ...transition.events.map((e) => ({
        sagaId,
        version,
        kind: e.kind,
        messageType: e.messageType ?? null,
        messageId: e.messageId ?? null,
        detail: e.kind === EventKind.started && started ? started : (e.detail ?? null),
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
    const last = rows.at(-1);
    if (transition.changed && last) rows[rows.length - 1] = { ...last, state: transition.state, deadlineAt };
    return rows;
  }

  /** The outbox rows of a transition's commands; with `trace`, each carries its send span's context. */
  private outboxRows(
    sagaId: string,
    transition: Transition,
    causationId: string,
    trace?: TraceCarrier,
  ): OutboxRow[] {
    return transition.commands.map((c) => {
      const route = routeOf(this.options.topology, c.type);
      const headers = { [Header.schemaVersion]: SCHEMA_VERSION, [Header.causationId]: causationId };
      return {
        messageId: c.messageId,
        ...route,
        messageType: c.type,
        correlationId: sagaId,
        headers: trace
          ? traceSend(headers, trace, {
              type: c.type,
              messageId: c.messageId,
              sagaId,
              destination: route.exchange,
            })
          : headers,
        payload: c.payload,
      };
    });
  }

  /** Outbox rows stay hidden from relays this long when this process publishes them itself (0: the relay does). */
  private get graceMs(): number {
    return this.options.dispatcher?.graceMs ?? 0;
  }

  /**
   * When the commands in flight are due their replies: each command's deadline is its step's
   * timeout (or the engine's) from when it was last sent, and a stage is due at the latest of
   * them (a resend goes to all). A reply to one command of a stage does not extend the others'.
   */
  private deadline(sagaType: string, transition: Transition): Date | null {
    const flights = inFlight(transition.state);
    if (flights.length === 0) return null;
    const now = Date.now();
    return new Date(Math.max(...flights.map((c) => (c.sentAt ?? now) + this.timeoutMs(sagaType, c.step))));
  }

  /** The timeout of `step` of saga `sagaType`: its own, or the engine's. */
  private timeoutMs(sagaType: string, step: string | null): number {
    const { registry, stepTimeoutMs } = this.options;
    return step ? registry.timeoutOf(sagaType, step, stepTimeoutMs) : stepTimeoutMs;
  }
}
