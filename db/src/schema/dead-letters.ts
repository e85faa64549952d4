// The dead-letter archive: every message a DLQ received, with why it failed, and every retry scheduled on the way.
import { sql } from 'drizzle-orm';
import { boolean, index, integer, jsonb, pgTable, text, timestamp, uuid } from 'drizzle-orm/pg-core';

/** Where a dead letter stands. Open ones are never deleted; retention prunes those resolved long ago. */
export const DeadLetterStatus = {
  /** Archived and waiting for an operator. */
  open: 'open',
  /** Republished through the outbox (see `replayMessageId`). */
  replayed: 'replayed',
  /** Set aside by an operator; kept for the record. */
  discarded: 'discarded',
} as const;
export type DeadLetterStatus = (typeof DeadLetterStatus)[keyof typeof DeadLetterStatus];

/**
 * One failure of one message, as the archiver took it off a DLQ. `failureKey` makes the archive
 * idempotent: a DLQ message delivered twice (the archiver died before its ack) is stored once,
 * while the same message failing again after a replay is a new row.
 */
export const deadLetters = pgTable(
  'dead_letters',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    failureKey: text('failure_key').notNull().unique(),
    /** The DLQ the archiver read it from. */
    deadLetterQueue: text('dead_letter_queue').notNull(),
    originalExchange: text('original_exchange').notNull(),
    originalRoutingKey: text('original_routing_key').notNull(),
    originalQueue: text('original_queue').notNull(),
    /** AMQP `messageId`; text because a poison message may carry anything. */
    messageId: text('message_id').notNull(),
    messageType: text('message_type').notNull(),
    /** The saga (AMQP `correlationId`) when it is a uuid. */
    sagaId: uuid('saga_id'),
    headers: jsonb('headers').$type<Record<string, unknown>>().notNull(),
    properties: jsonb('properties').$type<Record<string, unknown>>().notNull(),
    /** The body as received: UTF-8 text, or base64 when it is not valid UTF-8. */
    body: text('body').notNull(),
    bodyEncoding: text('body_encoding').$type<'utf8' | 'base64'>().notNull(),
    errorClass: text('error_class').notNull(),
    errorName: text('error_name').notNull(),
    errorMessage: text('error_message').notNull(),
    errorStack: text('error_stack').notNull().default(''),
    /** Deliveries the consumer made (its `x-attempt`), or the broker's count for a crash loop. */
    attempts: integer('attempts').notNull(),
    firstFailedAt: timestamp('first_failed_at', { withTimezone: true }).notNull(),
    lastFailedAt: timestamp('last_failed_at', { withTimezone: true }).notNull(),
    failedBy: text('failed_by').notNull(),
    /** queue + type + error class + masked message, hashed: the console groups by it. */
    fingerprint: text('fingerprint').notNull(),
    /** The masked message the fingerprint was made from, shown as the group's title. */
    fingerprintText: text('fingerprint_text').notNull(),
    status: text('status').$type<DeadLetterStatus>().notNull().default('open'),
    archivedAt: timestamp('archived_at', { withTimezone: true }).notNull().defaultNow(),
    /** The dead letter this message was a replay of (`x-replay-of`), when it failed again. */
    replayOf: uuid('replay_of'),
    replayedAt: timestamp('replayed_at', { withTimezone: true }),
    replayedBy: text('replayed_by'),
    replayMessageId: uuid('replay_message_id'),
    replayEdited: boolean('replay_edited'),
    discardedAt: timestamp('discarded_at', { withTimezone: true }),
    discardedBy: text('discarded_by'),
    discardReason: text('discard_reason'),
  },
  (t) => [
    index('dead_letters_status_idx').on(t.status, t.lastFailedAt, t.id),
    index('dead_letters_failed_idx').on(t.lastFailedAt, t.id),
    index('dead_letters_fingerprint_idx').on(t.fingerprint, t.lastFailedAt),
    index('dead_letters_saga_idx')
      .on(t.sagaId)
      .where(sql`${t.sagaId} is not null`),
    index('dead_letters_message_idx').on(t.messageId),
    // The console's text search (`ILIKE '%…%'` on the error, message id and body): trigram indexes.
    index('dead_letters_error_message_trgm_idx').using('gin', t.errorMessage.op('gin_trgm_ops')),
    index('dead_letters_message_id_trgm_idx').using('gin', t.messageId.op('gin_trgm_ops')),
    index('dead_letters_body_trgm_idx').using('gin', t.body.op('gin_trgm_ops')),
  ],
);

/** A retry a consumer scheduled (observed on the retry exchange), for the saga timeline. */
export const messageRetries = pgTable(
  'message_retries',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    failureKey: text('failure_key').notNull().unique(),
    messageId: text('message_id').notNull(),
    messageType: text('message_type').notNull(),
    sagaId: uuid('saga_id'),
    queue: text('queue').notNull(),
    /** The attempt that will run after the delay. */
    nextAttempt: integer('next_attempt').notNull(),
    tier: text('tier').notNull(),
    delayMs: integer('delay_ms'),
    errorClass: text('error_class').notNull(),
    errorMessage: text('error_message').notNull(),
    failedBy: text('failed_by').notNull(),
    failedAt: timestamp('failed_at', { withTimezone: true }).notNull(),
  },
  (t) => [
    index('message_retries_saga_idx')
      .on(t.sagaId, t.failedAt)
      .where(sql`${t.sagaId} is not null`),
    // Retention finds old retries by age (rows arrive in time order: BRIN is enough).
    index('message_retries_failed_at_brin_idx').using('brin', t.failedAt),
  ],
);
