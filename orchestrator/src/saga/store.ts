// The saga engine's hot-path SQL: a batch of sagas read in one statement and written in another.
import {
  OUTBOX_CHANNEL,
  OUTBOX_IDS,
  outboxRowsJson,
  withOutboxIds,
  type NewOutboxMessage,
  type OutboxMessage,
} from '@sagaport/db';
import type postgres from 'postgres';
import type { SagaState } from './types.js';

/** Channel of the NOTIFY sent when a saga ends; the payload is `<saga id>:<status>`. */
export const SAGA_ENDED_CHANNEL = 'sagaport_saga_ended';

/** A saga row as a transition needs it. */
export interface LoadedSaga {
  readonly id: string;
  readonly sagaType: string;
  /** The state as stored; the engine parses it with the saga type's definition. */
  readonly state: unknown;
  readonly version: number;
  readonly deadlineAt: Date | null;
  readonly createdAt: Date;
}

/** The new state of a saga at `version`, written only if its version is still `expectedVersion`. */
export interface SagaUpdate {
  readonly id: string;
  readonly expectedVersion: number;
  /** The version after the batch's transitions of the saga: one more per change, as its event rows say. */
  readonly version: number;
  readonly state: SagaState;
  readonly deadlineAt: Date | null;
  readonly ended: boolean;
}

/** A row of the saga's event log. */
export interface SagaEventRow {
  readonly sagaId: string;
  readonly version: number;
  readonly kind: string;
  readonly messageType: string | null;
  readonly messageId: string | null;
  readonly detail: unknown;
  /** The state after the transition and the deadline it set: on the last row of a state change only. */
  readonly state?: SagaState;
  readonly deadlineAt?: Date | null;
}

/** An outbox row to write (the engine publishes it itself after the commit). */
export type OutboxRow = NewOutboxMessage;

/** A saga a batch decided on without changing it: its rows are written only if it is still at `expectedVersion`. */
export interface SagaCheck {
  readonly id: string;
  readonly expectedVersion: number;
}

/** Everything one batch of transitions writes. */
export interface SagaWrites {
  readonly updates: readonly SagaUpdate[];
  /** The sagas of the batch that did not change (a duplicate or late reply): their version is checked too. */
  readonly checks?: readonly SagaCheck[];
  readonly events: readonly SagaEventRow[];
  readonly outbox: readonly OutboxRow[];
  /** How long outbox rows stay hidden from relays; 0 makes them due at once (and NOTIFYs the relay). */
  readonly graceMs: number;
  /** Outbox rows published and confirmed since, deleted in the same statement. */
  readonly confirmedOutbox?: readonly number[];
}

/** A saga a batch of transitions ended, with its row's times as PostgreSQL wrote them. */
export interface EndedSaga {
  readonly id: string;
  readonly state: SagaState;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What {@link writeTransitions} wrote: the outbox rows (with their ids), the sagas it ended, the ones it could not write. */
export interface WrittenTransitions {
  readonly outbox: OutboxMessage[];
  readonly ended: EndedSaga[];
  /**
   * The sagas that were no longer at the version their transition was decided on (another
   * process, or a concurrent batch, moved them first): nothing of theirs was written.
   */
  readonly conflicts: ReadonlySet<string>;
}

/** Raised when another process moved a saga first; the caller reloads and tries again. */
export class VersionConflict extends Error {
  override readonly name = 'VersionConflict';
}

type Sql = postgres.Sql | postgres.TransactionSql | postgres.ReservedSql;

interface EndedRow {
  id: string;
  created_ms: number;
  updated_ms: number;
}

interface SagaRow {
  id: string;
  saga_type: string;
  state: unknown;
  version: number;
  deadline_at: string | Date | null;
  created_at: string | Date;
}

/** Reads the sagas with `ids` in one statement. */
export async function loadSagas(sql: Sql, ids: readonly string[]): Promise<Map<string, LoadedSaga>> {
  const rows = await sql<SagaRow[]>`
    select id, saga_type, state, version, deadline_at, created_at
    from saga.instances where id = any(${sql.array([...ids], 2950)}::uuid[])`;
  return new Map(
    rows.map((row) => [
      row.id,
      {
        id: row.id,
        sagaType: row.saga_type,
        state: row.state,
        version: row.version,
        deadlineAt: row.deadline_at === null ? null : new Date(row.deadline_at),
        createdAt: new Date(row.created_at),
      },
    ]),
  );
}

/**
 * The CTEs that carry a statement's documents once, by key: `saga_states` the state of each saga
 * row written (by saga id), `command_payloads` the payload of each outbox row written (by message
 * id), each a JSON object ({@link documentsJson}) parsed once. The saga rows, the outbox rows and
 * the event log all take their documents from there (`(select m from saga_states) -> <id>`: a
 * lookup in a sorted object, whatever the plan), so a document goes to PostgreSQL once however
 * many rows hold it. Joining the rows written instead let the planner, which expects one row from
 * a data-modifying CTE, loop over every pair: 30,000 comparisons for a batch of 100 replies.
 * Each statement begins `with saga_states as (select <states>::jsonb as m), command_payloads as
 * (select <payloads>::jsonb as m)`, the documents being the JSON object this returns.
 */
function documentsJson(documents: ReadonlyMap<string, unknown>): string {
  return JSON.stringify(Object.fromEntries(documents));
}

/**
 * The head of an insert of event rows read from {@link eventsJson}'s text as `e`
 * ({@link EVENT_RECORD}), in the events' order; the statement goes on with its `from` (and
 * `order by e.n`). A row flagged `outbox_detail` takes its detail from `command_payloads`, one
 * flagged `saga_state` its state from `saga_states` ({@link documentsJson}).
 */
const INSERT_EVENTS = `insert into saga.events (saga_id, version, kind, message_type, message_id, detail, state, deadline_at)
  select e.saga_id::uuid, e.version, e.kind, e.message_type, e.message_id::uuid,
    case when e.outbox_detail then (select m from command_payloads) -> e.message_id else e.detail end,
    case when e.saga_state then (select m from saga_states) -> e.saga_id else e.state end, e.deadline_at`;

/**
 * The record type of {@link eventsJson}'s rows, as `jsonb_to_recordset(...) as <this>`. The ids
 * are read as the text they were sent as, the keys of the documents they point to.
 */
const EVENT_RECORD = `e(saga_id text, version int, kind text, message_type text, message_id text, detail jsonb,
  state jsonb, deadline_at timestamptz, outbox_detail boolean, saga_state boolean, n int)`;

/**
 * The head of an insert of outbox rows read, without their payloads, from {@link outboxRowsJson}'s text as `o`
 * ({@link OUTBOX_HEAD_RECORD}), each payload from `command_payloads`; the statement goes on
 * with `, <available_at>` and its `from`.
 */
const INSERT_COMMANDS = `insert into outbox (message_id, exchange, routing_key, message_type, correlation_id, headers, payload, available_at)
  select o.message_id::uuid, o.exchange, o.routing_key, o.message_type, o.correlation_id, o.headers,
    (select m from command_payloads) -> o.message_id`;

/** The record type of the rows of {@link outboxRowsJson} without payloads. */
const OUTBOX_HEAD_RECORD = `o(message_id text, exchange text, routing_key text, message_type text,
  correlation_id uuid, headers jsonb)`;

/** What the rest of a statement writes that event rows can point to instead of repeating it. */
interface Written {
  /** The state each saga's row is written with, by saga id. */
  readonly states?: ReadonlyMap<string, SagaState>;
  /** The payload of each outbox row, by message id. */
  readonly payloads?: ReadonlyMap<string, unknown>;
}

/**
 * The JSON text of event rows, for `jsonb_to_recordset`. A row whose detail is the very payload
 * of an outbox row written by the same statement (a command sent) or whose state is the very
 * state its saga's row is written with (the last transition of the saga in the batch) says so
 * instead of carrying it ({@link INSERT_EVENTS}): the state and the commands are the bulk of the
 * JSON PostgreSQL parses.
 */
export function eventsJson(rows: readonly SagaEventRow[], written: Written = {}): string {
  const { states, payloads } = written;
  return JSON.stringify(
    rows.map((e, n) => {
      const outboxDetail =
        e.messageId !== null && e.detail != null && payloads?.get(e.messageId) === e.detail;
      const sagaState = e.state !== undefined && states?.get(e.sagaId) === e.state;
      return {
        saga_id: e.sagaId,
        version: e.version,
        kind: e.kind,
        message_type: e.messageType,
        message_id: e.messageId,
        detail: outboxDetail ? null : (e.detail ?? null),
        state: sagaState ? null : (e.state ?? null),
        deadline_at: e.deadlineAt?.toISOString() ?? null,
        outbox_detail: outboxDetail,
        saga_state: sagaState,
        n,
      };
    }),
  );
}

/** The payload of each outbox row, by message id (see {@link eventsJson}). */
function payloadsOf(outbox: readonly OutboxRow[]): Map<string, unknown> {
  return new Map(outbox.map((o) => [o.messageId, o.payload]));
}

/**
 * Writes a batch of transitions inside `sql`'s transaction in ONE statement (call the
 * transaction's COMMIT in the same tick to send it with it): the new states, each only if its
 * saga is still at the version the transition was decided on, and the version checks of the
 * sagas that did not change; then, for the sagas that passed, their event log rows and outbox
 * rows, one NOTIFY per ended saga; and the deletion of outbox rows confirmed since the last
 * batch. A saga that failed its check writes nothing and is returned in `conflicts`: the caller
 * reads it again and decides anew, while the rest of the batch commits. Returns the outbox rows
 * written, with their ids.
 */
export async function writeTransitions(sql: Sql, writes: SagaWrites): Promise<WrittenTransitions> {
  const { updates, checks = [], events, outbox, graceMs, confirmedOutbox = [] } = writes;
  const updateJson = JSON.stringify(
    updates.map((u) => ({
      id: u.id,
      expected: u.expectedVersion,
      version: u.version,
      status: u.state.status,
      current_step: u.state.awaiting?.step ?? null,
      outcome: u.ended ? u.state.status : null,
      failure_reason: u.state.failure
        ? { code: u.state.failure.code, message: u.state.failure.message }
        : null,
      deadline_at: u.deadlineAt?.toISOString() ?? null,
      ended: u.ended,
    })),
  );
  const checkJson = JSON.stringify(checks.map((c) => ({ id: c.id, expected: c.expectedVersion })));
  const ids = [...updates.map((u) => u.id), ...checks.map((c) => c.id)];
  const states = new Map(updates.map((u) => [u.id, u.state]));
  const payloads = payloadsOf(outbox);
  // The ids as an array too: with it the planner reads saga.instances by its primary key
  // instead of guessing the JSON's row count.
  const [row] = await sql<{ written: string[]; ids: [string, number][]; ended: EndedRow[] }[]>`
    with saga_states as (select ${documentsJson(states)}::jsonb as m),
      command_payloads as (select ${documentsJson(payloads)}::jsonb as m), updated as (
      update saga.instances s set
        status = r.status, current_step = r.current_step, state = (select m from saga_states) -> r.id,
        version = r.version, outcome = r.outcome, failure_reason = r.failure_reason,
        deadline_at = r.deadline_at, updated_at = now(), ended_at = case when r.ended then now() end
      from jsonb_to_recordset(${updateJson}::jsonb) as r(
        id text, expected int, version int, status text, current_step text, outcome text,
        failure_reason jsonb, deadline_at timestamptz, ended boolean)
      where s.id = r.id::uuid and s.version = r.expected and s.id = any(${sql.array(ids, 2950)}::uuid[])
      returning s.id, r.ended, r.status, s.created_at, s.updated_at
    ), checked as (
      select s.id from saga.instances s
      join jsonb_to_recordset(${checkJson}::jsonb) as c(id uuid, expected int) on c.id = s.id
      where s.version = c.expected and s.id = any(${sql.array(ids, 2950)}::uuid[])
    ), written as (
      select id from updated union all select id from checked
    ), box as (
      ${sql.unsafe(INSERT_COMMANDS)}, now() + make_interval(secs => ${graceMs / 1000})
      from jsonb_to_recordset(${outboxRowsJson(outbox, { payloads: false })}::jsonb) as ${sql.unsafe(OUTBOX_HEAD_RECORD)}
      where o.correlation_id in (select id from written)
      returning message_id, id
    ), logged as (
      ${sql.unsafe(INSERT_EVENTS)}
      from jsonb_to_recordset(${eventsJson(events, { states, payloads })}::jsonb) as ${sql.unsafe(EVENT_RECORD)}
      where e.saga_id::uuid in (select id from written)
      order by e.n
    ), confirmed as (
      delete from outbox where id = any(${sql.array([...confirmedOutbox], 20)}::bigint[])
    )
    select coalesce((select json_agg(id) from written), '[]'::json) as written,
      coalesce((select json_agg(${sql.unsafe(OUTBOX_IDS)}) from box), '[]'::json) as ids,
      coalesce((select json_agg(json_build_object('id', id,
         'created_ms', extract(epoch from created_at) * 1000, 'updated_ms', extract(epoch from updated_at) * 1000))
       from updated where ended), '[]'::json) as ended,
      (select count(*) from (select pg_notify(${SAGA_ENDED_CHANNEL}, id::text || ':' || status)
       from updated where ended) n) as notified,
      (select count(*) from (select pg_notify(${OUTBOX_CHANNEL}, '')
       where ${graceMs === 0}::boolean and exists (select 1 from box)) n) as relay_notified`;
  const written = new Set(row?.written ?? []);
  return {
    outbox: withOutboxIds(outbox, row?.ids ?? [], graceMs),
    ended: (row?.ended ?? []).map((ended) => ({
      id: ended.id,
      state: states.get(ended.id)!,
      createdAt: new Date(Number(ended.created_ms)),
      updatedAt: new Date(Number(ended.updated_ms)),
    })),
    conflicts: new Set(ids.filter((id) => !written.has(id))),
  };
}

/** What starting a saga writes: the idempotency record, the saga row, its first events and commands. */
export interface SagaStart {
  readonly idempotencyKey: string;
  readonly requestHash: string;
  readonly sagaId: string;
  readonly sagaType: string;
  readonly state: SagaState;
  readonly deadlineAt: Date | null;
  /** The saga's business keys (see SagaDefinition.keys), stored once and indexed for search. */
  readonly keys: Readonly<Record<string, string>>;
  readonly events: readonly SagaEventRow[];
  readonly outbox: readonly OutboxRow[];
  readonly graceMs: number;
}

/**
 * Starts several sagas in ONE statement, each as {@link insertSagaStart} would: a saga whose
 * idempotency key is new gets its request row, saga row, events and outbox rows; one whose key is
 * taken gets nothing (`undefined` at its index). The keys must be distinct. One statement is one
 * round trip and one commit for every checkout that arrived together.
 */
export async function insertSagaStarts(
  sql: Sql,
  starts: readonly SagaStart[],
): Promise<(OutboxMessage[] | undefined)[]> {
  if (starts.length === 1) return [await insertSagaStart(sql, starts[0]!)];
  const graceMs = starts[0]?.graceMs ?? 0;
  const input = JSON.stringify(
    starts.map((s) => ({
      idempotency_key: s.idempotencyKey,
      request_hash: s.requestHash,
      saga_id: s.sagaId,
      saga_type: s.sagaType,
      status: s.state.status,
      current_step: s.state.awaiting?.step ?? null,
      deadline_at: s.deadlineAt?.toISOString() ?? null,
      business_keys: s.keys,
    })),
  );
  const events = starts.flatMap((s) => s.events);
  const outbox = starts.flatMap((s) => s.outbox);
  const states = new Map(starts.map((s) => [s.sagaId, s.state]));
  const payloads = payloadsOf(outbox);
  const [row] = await sql<{ started: string[]; ids: [string, number][] }[]>`
    with saga_states as (select ${documentsJson(states)}::jsonb as m),
      command_payloads as (select ${documentsJson(payloads)}::jsonb as m), input as (
      select * from jsonb_to_recordset(${input}::jsonb) as r(
        idempotency_key text, request_hash text, saga_id text, saga_type text, status text,
        current_step text, deadline_at timestamptz, business_keys jsonb)
    ), request as (
      insert into saga.checkout_requests (idempotency_key, request_hash, saga_id)
      select idempotency_key, request_hash, saga_id::uuid from input
      on conflict do nothing
      returning saga_id
    ), saga as (
      insert into saga.instances
        (id, saga_type, status, current_step, state, version, deadline_at, business_keys)
      select r.saga_id, i.saga_type, i.status, i.current_step, (select m from saga_states) -> i.saga_id, 1,
        i.deadline_at, i.business_keys
      from input i join request r on r.saga_id = i.saga_id::uuid
    ), box as (
      ${sql.unsafe(INSERT_COMMANDS)}, now() + make_interval(secs => ${graceMs / 1000})
      from jsonb_to_recordset(${outboxRowsJson(outbox, { payloads: false })}::jsonb) as ${sql.unsafe(OUTBOX_HEAD_RECORD)}
      where o.correlation_id in (select saga_id from request)
      returning message_id, id
    ), events as (
      ${sql.unsafe(INSERT_EVENTS)}
      from jsonb_to_recordset(${eventsJson(events, { states, payloads })}::jsonb) as ${sql.unsafe(EVENT_RECORD)}
      where e.saga_id::uuid in (select saga_id from request)
      order by e.n
    )
    select coalesce((select json_agg(saga_id) from request), '[]'::json) as started,
      coalesce((select json_agg(${sql.unsafe(OUTBOX_IDS)}) from box), '[]'::json) as ids`;
  const started = new Set(row?.started ?? []);
  const rowsOf = new Map<string, OutboxMessage[]>();
  for (const written of withOutboxIds(outbox, row?.ids ?? [], graceMs)) {
    const list = rowsOf.get(written.correlationId!) ?? [];
    list.push(written);
    rowsOf.set(written.correlationId!, list);
  }
  return starts.map((s) => (started.has(s.sagaId) ? (rowsOf.get(s.sagaId) ?? []) : undefined));
}

/**
 * Starts a saga in ONE statement (so one round trip, atomic by itself): the idempotency key,
 * the saga row, its event rows and its outbox rows are written only if the key is new. Returns
 * the outbox rows written, or undefined when the key was taken (a concurrent request with the
 * same key waits on its primary key until the first commits).
 */
export async function insertSagaStart(sql: Sql, start: SagaStart): Promise<OutboxMessage[] | undefined> {
  const written = { states: new Map([[start.sagaId, start.state]]), payloads: payloadsOf(start.outbox) };
  const [row] = await sql<{ started: boolean; ids: [string, number][] }[]>`
    with saga_states as (select ${documentsJson(written.states)}::jsonb as m),
      command_payloads as (select ${documentsJson(written.payloads)}::jsonb as m), request as (
      insert into saga.checkout_requests (idempotency_key, request_hash, saga_id)
      values (${start.idempotencyKey}, ${start.requestHash}, ${start.sagaId})
      on conflict do nothing
      returning saga_id
    ), saga as (
      insert into saga.instances
        (id, saga_type, status, current_step, state, version, deadline_at, business_keys)
      select saga_id, ${start.sagaType}, ${start.state.status}, ${start.state.awaiting?.step ?? null},
        (select m from saga_states) -> ${start.sagaId}::text, 1,
        ${start.deadlineAt?.toISOString() ?? null}::timestamptz, ${JSON.stringify(start.keys)}::jsonb
      from request
    ), box as (
      ${sql.unsafe(INSERT_COMMANDS)}, now() + make_interval(secs => ${start.graceMs / 1000})
      from jsonb_to_recordset(${outboxRowsJson(start.outbox, { payloads: false })}::jsonb) as ${sql.unsafe(OUTBOX_HEAD_RECORD)}
      where exists (select 1 from request)
      returning message_id, id
    ), events as (
      ${sql.unsafe(INSERT_EVENTS)}
      from jsonb_to_recordset(${eventsJson(start.events, written)}::jsonb) as ${sql.unsafe(EVENT_RECORD)}
      where exists (select 1 from request)
      order by e.n
    )
    select exists (select 1 from request) as started,
      coalesce((select json_agg(${sql.unsafe(OUTBOX_IDS)}) from box), '[]'::json) as ids`;
  return row?.started ? withOutboxIds(start.outbox, row.ids, start.graceMs) : undefined;
}
