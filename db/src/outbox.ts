// Transactional outbox: write messages beside a state change, then claim, delete or defer them in the relay.
import { asc, inArray, lte, sql } from 'drizzle-orm';
import type postgres from 'postgres';
import type { DbExecutor } from './client.js';
import { outbox } from './schema/index.js';

/**
 * The NOTIFY channel that wakes the outbox relay. The payload is empty: the relay reads the
 * table anyway, and one notification per commit is all it needs.
 */
export const OUTBOX_CHANNEL = 'sagaport_outbox';

/** A row of the outbox as the relay reads it. */
export type OutboxMessage = typeof outbox.$inferSelect;

/** What a caller provides to enqueue a message; the relay's bookkeeping columns take defaults. */
export type NewOutboxMessage = Omit<
  typeof outbox.$inferInsert,
  'id' | 'createdAt' | 'attempts' | 'lastError'
>;

/** Size and age of the unpublished backlog, for metrics and readiness. */
export interface OutboxBacklog {
  /** Rows still waiting to be published, including deferred ones. */
  readonly count: number;
  /** Seconds since the oldest waiting row was written; null when the outbox is empty. */
  readonly oldestAgeSeconds: number | null;
}

/**
 * Inserts `messages` into the outbox and notifies the relay. Call it inside the transaction
 * that makes the state change: the rows and the notification take effect only at its commit.
 */
export async function enqueueOutbox(tx: DbExecutor, messages: readonly NewOutboxMessage[]): Promise<void> {
  if (messages.length === 0) return;
  await tx.insert(outbox).values([...messages]);
  // NOTIFY is transactional: PostgreSQL delivers it at commit and drops it on rollback, and
  // folds identical notifications of one transaction into one.
  await tx.execute(sql`select pg_notify(${OUTBOX_CHANNEL}, '')`);
}

/**
 * Inserts `messages` for the caller to publish itself right after its commit (see the
 * orchestrator's OutboxDispatcher): the rows stay invisible to relays for `graceMs`, and no
 * NOTIFY is sent. If the caller dies before its publish is confirmed and the rows deleted, a
 * relay publishes them once the grace has passed. Returns the rows with their ids.
 */
export async function enqueueOutboxForDispatch(
  tx: DbExecutor,
  messages: readonly NewOutboxMessage[],
  graceMs: number,
): Promise<OutboxMessage[]> {
  if (messages.length === 0) return [];
  const availableAt = sql`now() + make_interval(secs => ${graceMs / 1000})`;
  return tx
    .insert(outbox)
    .values(messages.map((m) => ({ ...m, availableAt })))
    .returning();
}

/**
 * Locks and returns up to `limit` messages that are due, oldest first. Rows locked by another
 * relay's open transaction are skipped, so several relays can run side by side without
 * publishing the same row twice; the locks last until `tx` ends.
 */
export async function claimOutboxBatch(tx: DbExecutor, limit: number): Promise<OutboxMessage[]> {
  return tx
    .select()
    .from(outbox)
    .where(lte(outbox.availableAt, sql`now()`))
    .orderBy(asc(outbox.id))
    .limit(limit)
    .for('update', { skipLocked: true });
}

/** Deletes published messages; call it only after the broker confirmed them. */
export async function deleteOutboxMessages(tx: DbExecutor, ids: readonly number[]): Promise<void> {
  if (ids.length === 0) return;
  await tx.delete(outbox).where(inArray(outbox.id, [...ids]));
}

/**
 * Records a failed publish of `ids`: counts the attempt, keeps the error, and hides the rows
 * from {@link claimOutboxBatch} for `delayMs` milliseconds.
 */
export async function deferOutboxMessages(
  tx: DbExecutor,
  ids: readonly number[],
  error: string,
  delayMs: number,
): Promise<void> {
  if (ids.length === 0) return;
  await tx
    .update(outbox)
    .set({
      attempts: sql`${outbox.attempts} + 1`,
      lastError: error,
      availableAt: sql`now() + make_interval(secs => ${Math.max(0, delayMs) / 1000})`,
    })
    .where(inArray(outbox.id, [...ids]));
}

/** Counts the messages waiting in the outbox and measures how long the oldest has waited. */
export async function outboxBacklog(db: DbExecutor): Promise<OutboxBacklog> {
  const [row] = await db
    .select({
      count: sql<number>`count(*)::int`,
      oldestAgeSeconds: sql<number | null>`extract(epoch from (now() - min(${outbox.createdAt})))::float8`,
    })
    .from(outbox);
  return { count: row?.count ?? 0, oldestAgeSeconds: row?.oldestAgeSeconds ?? null };
}

/**
 * The JSON text of outbox rows for `jsonb_to_recordset` (the set-based inserts of the hot path);
 * with `payloads: false`, without them (a statement that carries them apart, by message id).
 */
export function outboxRowsJson(
  messages: readonly NewOutboxMessage[],
  { payloads = true }: { readonly payloads?: boolean } = {},
): string {
  return JSON.stringify(
    messages.map((m) => ({
      message_id: m.messageId,
      exchange: m.exchange,
      routing_key: m.routingKey,
      message_type: m.messageType,
      correlation_id: m.correlationId ?? null,
      headers: m.headers ?? {},
      ...(payloads ? { payload: m.payload } : {}),
    })),
  );
}

/**
 * The head of an insert of outbox rows read from {@link outboxRowsJson}'s text as `o`
 * ({@link OUTBOX_RECORD}); the statement goes on with `, <available_at>` and its `from`.
 */
export const INSERT_OUTBOX = `insert into outbox (message_id, exchange, routing_key, message_type, correlation_id, headers, payload, available_at)
  select o.message_id, o.exchange, o.routing_key, o.message_type, o.correlation_id, o.headers, o.payload`;

/** The record type of {@link outboxRowsJson}'s rows, as `jsonb_to_recordset(...) as <this>`. */
export const OUTBOX_RECORD = `o(message_id uuid, exchange text, routing_key text, message_type text,
  correlation_id uuid, headers jsonb, payload jsonb)`;

/**
 * The JSON of `(message_id, id)` pairs of the rows an insert from {@link outboxRowsJson} wrote
 * (`json_agg(...)` over its `returning message_id, id`), for {@link withOutboxIds}: the writer
 * keeps what it wrote, so PostgreSQL sends back only the ids it assigned.
 */
export const OUTBOX_IDS = `json_build_array(message_id, id)`;

/**
 * The outbox rows `messages` as written, with the ids PostgreSQL gave them (`ids`: the pairs of
 * {@link OUTBOX_IDS}); a message without an id was not written and is left out. The times are
 * this process's clock (the rows' own are PostgreSQL's, a moment earlier).
 */
export function withOutboxIds(
  messages: readonly NewOutboxMessage[],
  ids: readonly (readonly [string, number | string])[],
  graceMs: number,
): OutboxMessage[] {
  if (ids.length === 0) return [];
  const idOf = new Map(ids.map(([messageId, id]) => [messageId, Number(id)]));
  const createdAt = new Date();
  const availableAt = new Date(createdAt.getTime() + graceMs);
  const rows: OutboxMessage[] = [];
  for (const m of messages) {
    const id = idOf.get(m.messageId);
    if (id === undefined) continue;
    rows.push({
      id,
      messageId: m.messageId,
      exchange: m.exchange,
      routingKey: m.routingKey,
      messageType: m.messageType,
      correlationId: m.correlationId ?? null,
      headers: m.headers ?? {},
      payload: m.payload,
      createdAt,
      availableAt,
      attempts: 0,
      lastError: null,
    });
  }
  return rows;
}

/** A `RETURNING` list that gives outbox rows the shape of {@link OutboxMessage}. */
export const OUTBOX_RETURNING = `id, message_id as "messageId", exchange, routing_key as "routingKey",
  message_type as "messageType", correlation_id as "correlationId", headers, payload,
  created_at as "createdAt", available_at as "availableAt", attempts, last_error as "lastError"`;

/**
 * Writes outbox rows with one prepared statement on a postgres.js transaction (the hot path of
 * the saga engine and the workers). With `graceMs` > 0 the rows stay hidden from relays that
 * long, because the writer publishes them itself after its commit (see
 * {@link enqueueOutboxForDispatch}); with 0 they are due at once and the relay is notified.
 * Returns the rows written, with their ids.
 */
export async function insertOutboxRows(
  sql: postgres.Sql | postgres.TransactionSql | postgres.ReservedSql,
  messages: readonly NewOutboxMessage[],
  graceMs: number,
): Promise<OutboxMessage[]> {
  if (messages.length === 0) return [];
  const rows = outboxRowsJson(messages);
  const [written] = await Promise.all([
    sql<OutboxMessage[]>`
      ${sql.unsafe(INSERT_OUTBOX)}, now() + make_interval(secs => ${graceMs / 1000})
      from jsonb_to_recordset(${rows}::jsonb) as ${sql.unsafe(OUTBOX_RECORD)}
      returning ${sql.unsafe(OUTBOX_RETURNING)}`,
    graceMs > 0 ? Promise.resolve([]) : sql`select pg_notify(${OUTBOX_CHANNEL}, '')`,
  ]);
  return written;
}
