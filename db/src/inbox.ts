// Idempotent consumer inbox: recognise a redelivered message and answer it with the reply stored the first time.
import { and, eq } from 'drizzle-orm';
import type postgres from 'postgres';
import type { DbExecutor } from './client.js';
import { inbox } from './schema/index.js';

/** Identifies one delivery of a message to one consumer. */
export interface InboxDelivery {
  /** The consumer's stable name, for example `payment`; each consumer deduplicates on its own. */
  readonly consumer: string;
  readonly messageId: string;
  readonly messageType: string;
  /** The saga id, or null for messages outside a saga. */
  readonly correlationId: string | null;
}

/** The outcome of {@link claimInbox}. */
export type InboxClaim =
  | { readonly firstDelivery: true }
  | {
      readonly firstDelivery: false;
      /** The reply stored for the first delivery; null if that delivery stored none. */
      readonly reply: unknown;
    };

/**
 * Records that `delivery.consumer` is processing `delivery.messageId`, inside the transaction
 * that performs the effect. Returns `firstDelivery: true` when the message is new, otherwise
 * the reply stored when it was first processed.
 *
 * A concurrent duplicate (the same message redelivered while the first transaction is still
 * open) blocks on the primary key until that transaction ends: if it commits, the duplicate
 * sees `firstDelivery: false` and the committed reply; if it rolls back, the duplicate becomes
 * the first delivery. Exactly one transaction performs the effect, which is the point. This
 * relies on READ COMMITTED (PostgreSQL's default); under REPEATABLE READ or SERIALIZABLE the
 * duplicate fails with a serialization error instead, which callers treat as transient.
 */
export async function claimInbox(tx: DbExecutor, delivery: InboxDelivery): Promise<InboxClaim> {
  const inserted = await tx
    .insert(inbox)
    .values({
      consumer: delivery.consumer,
      messageId: delivery.messageId,
      messageType: delivery.messageType,
      correlationId: delivery.correlationId,
    })
    .onConflictDoNothing({ target: [inbox.consumer, inbox.messageId] })
    .returning({ messageId: inbox.messageId });
  if (inserted.length > 0) return { firstDelivery: true };

  // The conflicting row is committed (we waited for it), so this statement's snapshot sees it.
  const [existing] = await tx
    .select({ reply: inbox.reply })
    .from(inbox)
    .where(and(eq(inbox.consumer, delivery.consumer), eq(inbox.messageId, delivery.messageId)));
  if (!existing) {
    throw new Error(
      `Inbox row for consumer ${delivery.consumer}, message ${delivery.messageId} conflicted but cannot be read`,
    );
  }
  return { firstDelivery: false, reply: existing.reply ?? null };
}

/** Identifies the inbox row to attach a reply to, and the reply itself (any JSON value). */
export interface InboxReply {
  readonly consumer: string;
  readonly messageId: string;
  readonly reply: unknown;
}

/**
 * Stores the reply a consumer produced for a message it claimed with {@link claimInbox}, in
 * the same transaction, so a redelivery can resend it. Throws if the message was never claimed.
 */
export async function storeInboxReply(tx: DbExecutor, entry: InboxReply): Promise<void> {
  const updated = await tx
    .update(inbox)
    .set({ reply: entry.reply })
    .where(and(eq(inbox.consumer, entry.consumer), eq(inbox.messageId, entry.messageId)))
    .returning({ messageId: inbox.messageId });
  if (updated.length === 0) {
    throw new Error(
      `No inbox row for consumer ${entry.consumer}, message ${entry.messageId}: call claimInbox first`,
    );
  }
}

/**
 * A message of the batch was claimed by another transaction that committed while this one ran:
 * a transient failure, the batch is run again and then sees the claim.
 */
export class InboxRaceError extends Error {
  override readonly name = 'InboxRaceError';
  /** SQLSTATE-like marker so the consumer classifies it as transient (a serialization failure). */
  readonly code = '40001';
}

/** What {@link claimInboxBatch} found for one message id. */
export type BatchInboxClaim = InboxClaim;

/** A postgres.js client or open transaction: the batch helpers below run prepared statements on it. */
export type SqlExecutor = postgres.Sql | postgres.TransactionSql | postgres.ReservedSql;

/**
 * Claims a batch of deliveries for `consumer` in one prepared statement, inside the transaction
 * that performs their effects: the batch form of {@link claimInbox}, with the same guarantees
 * (a concurrent duplicate waits on the primary key for the first transaction). Rows are claimed
 * in message-id order, so two batches sharing ids cannot deadlock. A message id that appears
 * twice in `deliveries` is claimed once. Returns one claim per distinct id; a message seen
 * before carries the reply stored when it was first processed.
 */
export async function claimInboxBatch(
  sql: SqlExecutor,
  consumer: string,
  deliveries: readonly Omit<InboxDelivery, 'consumer'>[],
): Promise<Map<string, BatchInboxClaim>> {
  const claims = new Map<string, BatchInboxClaim>();
  if (deliveries.length === 0) return claims;
  const rows = JSON.stringify(
    deliveries.map((d) => ({
      message_id: d.messageId,
      message_type: d.messageType,
      correlation_id: d.correlationId,
    })),
  );
  const found = await sql<{ message_id: string; claimed: boolean; stored: { reply: unknown } | null }[]>`
    with wanted as (
      select distinct on (r.message_id) r.message_id, r.message_type, r.correlation_id
      from jsonb_to_recordset(${rows}::jsonb) as r(message_id uuid, message_type text, correlation_id uuid)
      order by r.message_id
    ), claimed as (
      insert into inbox (consumer, message_id, message_type, correlation_id)
      select ${consumer}, message_id, message_type, correlation_id from wanted
      on conflict (consumer, message_id) do nothing
      returning message_id
    )
    -- One primary-key lookup per message for the row stored before (a join, or an EXISTS the
    -- planner may hash, would scan the consumer's whole inbox). A message claimed here is not
    -- visible to it (same snapshot): only 'claimed' counts then.
    select w.message_id, c.message_id is not null as claimed,
      (select jsonb_build_object('reply', i.reply) from inbox i
        where i.consumer = ${consumer} and i.message_id = w.message_id) as stored
    from wanted w
    left join claimed c on c.message_id = w.message_id`;
  for (const row of found) {
    if (!row.claimed && !row.stored) {
      // Claimed by a concurrent transaction that committed after this statement's snapshot.
      throw new InboxRaceError(`message ${row.message_id} of consumer ${consumer} was claimed concurrently`);
    }
    claims.set(
      row.message_id,
      row.claimed ? { firstDelivery: true } : { firstDelivery: false, reply: row.stored?.reply ?? null },
    );
  }
  return claims;
}

/**
 * Raised by {@link claimNewInboxBatch} when a message of the batch was claimed before (a
 * redelivery, or a duplicate claimed concurrently): the transaction is aborted, and the caller
 * runs the batch again with {@link claimInboxBatch}, which tells each message's story.
 */
export class InboxSeenBefore extends Error {
  override readonly name = 'InboxSeenBefore';
}

/** Marks the error {@link claimNewInboxBatch} raises inside PostgreSQL (`sagaport_expect_rows`). */
export const inboxSeenBeforeMarker = 'inbox messages claimed before';
const SEEN_BEFORE = inboxSeenBeforeMarker;

/** The error of a claim statement that met a message claimed before, as {@link InboxSeenBefore}; others as they are. */
export function asInboxSeenBefore(error: unknown): unknown {
  if (
    (error as { code?: string }).code === '40001' &&
    String((error as Error).message).includes(SEEN_BEFORE)
  ) {
    return new InboxSeenBefore((error as Error).message, { cause: error });
  }
  return error;
}

/**
 * Claims a batch of deliveries for `consumer` in one statement, on the bet that every one is
 * new, so the statements that perform their effects can be sent behind it in the same round
 * trip: if any message was claimed before, the statement fails inside PostgreSQL, which aborts
 * the transaction and every statement sent after it, and the promise rejects with
 * {@link InboxSeenBefore}. Distinct ids only (callers drop a second copy of a message first).
 * The same guarantees as {@link claimInboxBatch}: a concurrent duplicate waits on the primary key.
 * With a `reply` per delivery the rows are written whole, after the effects that produced them.
 */
export async function claimNewInboxBatch(
  sql: SqlExecutor,
  consumer: string,
  deliveries: readonly (Omit<InboxDelivery, 'consumer'> & { readonly reply?: unknown })[],
): Promise<void> {
  if (deliveries.length === 0) return;
  const rows = JSON.stringify(
    deliveries.map((d) => ({
      message_id: d.messageId,
      message_type: d.messageType,
      correlation_id: d.correlationId,
      reply: d.reply ?? null,
    })),
  );
  try {
    await sql`
      with claimed as (
        insert into inbox (consumer, message_id, message_type, correlation_id, reply)
        select ${consumer}, r.message_id, r.message_type, r.correlation_id, r.reply
        from jsonb_to_recordset(${rows}::jsonb) as r(message_id uuid, message_type text, correlation_id uuid, reply jsonb)
        order by r.message_id
        on conflict (consumer, message_id) do nothing
        returning 1)
      select sagaport_expect_rows(${deliveries.length}, (select count(*) from claimed), ${`${SEEN_BEFORE} by ${consumer}`})`;
  } catch (error) {
    throw asInboxSeenBefore(error);
  }
}

/**
 * Reads, without claiming anything, which of `messageIds` `consumer` has processed, with the
 * reply stored for each: one primary-key lookup per id. For a consumer that claims its messages
 * together with their replies ({@link claimNewInboxBatch} after the effects), so a row is only
 * ever inserted whole and never updated: the inbox then leaves no dead rows behind.
 */
export async function readInboxBatch(
  sql: SqlExecutor,
  consumer: string,
  messageIds: readonly string[],
): Promise<Map<string, BatchInboxClaim>> {
  const claims = new Map<string, BatchInboxClaim>();
  if (messageIds.length === 0) return claims;
  const found = await sql<{ message_id: string; reply: unknown }[]>`
    select message_id, reply from inbox
    where consumer = ${consumer} and message_id = any(${sql.array([...messageIds], 2950)}::uuid[])`;
  const stored = new Map(found.map((row) => [row.message_id, row.reply ?? null]));
  for (const id of messageIds) {
    claims.set(
      id,
      stored.has(id) ? { firstDelivery: false, reply: stored.get(id) } : { firstDelivery: true },
    );
  }
  return claims;
}

/**
 * Stores the replies of a batch claimed with {@link claimInboxBatch}, in one prepared statement.
 * A reply without its inbox row fails inside PostgreSQL, so a COMMIT sent behind this statement
 * rolls the transaction back.
 */
export async function storeInboxReplies(
  sql: SqlExecutor,
  consumer: string,
  entries: readonly Omit<InboxReply, 'consumer'>[],
): Promise<void> {
  if (entries.length === 0) return;
  const rows = JSON.stringify(entries.map((e) => ({ message_id: e.messageId, reply: e.reply })));
  await sql`
    with stored as (
      update inbox i set reply = r.reply
      from jsonb_to_recordset(${rows}::jsonb) as r(message_id uuid, reply jsonb)
      where i.consumer = ${consumer} and i.message_id = r.message_id
        -- The ids again as an index condition: the planner cannot see into the JSON.
        and i.message_id = any(${sql.array(
          entries.map((e) => e.messageId),
          2950,
        )}::uuid[])
      returning 1)
    select sagaport_expect_rows(${new Set(entries.map((e) => e.messageId)).size}, (select count(*) from stored),
      ${`inbox rows of ${consumer} (call claimInboxBatch first)`})`;
}
