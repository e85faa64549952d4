// Idempotent consumer inbox: recognise a redelivered message and answer it with the reply stored the first time.
import { and, eq } from 'drizzle-orm';
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
