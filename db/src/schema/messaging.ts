// Messaging tables shared by every service: the transactional outbox and the idempotent-consumer inbox.
import { sql } from 'drizzle-orm';
import {
  bigserial,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  uuid,
} from 'drizzle-orm/pg-core';

/**
 * Messages waiting to be published. A row is written in the same transaction as the state
 * change that caused it and deleted by the relay only after the broker confirmed it.
 */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    messageId: uuid('message_id').notNull(),
    exchange: text('exchange').notNull(),
    routingKey: text('routing_key').notNull(),
    messageType: text('message_type').notNull(),
    /** The saga id; null for messages that belong to no saga. */
    correlationId: uuid('correlation_id'),
    headers: jsonb('headers')
      .$type<Record<string, unknown>>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    payload: jsonb('payload').$type<unknown>().notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    /** The relay leaves a row alone until this time; publishing failures push it forward. */
    availableAt: timestamp('available_at', { withTimezone: true }).notNull().defaultNow(),
    attempts: integer('attempts').notNull().default(0),
    lastError: text('last_error'),
  },
  // The relay scans "available now, oldest first": this index serves exactly that query.
  (table) => [index('outbox_available_at_id_idx').on(table.availableAt, table.id)],
);

/**
 * Messages a consumer has already processed, keyed by (consumer, message id). Written in the
 * same transaction as the consumer's effect, so a redelivery is recognised and answered with
 * the stored reply instead of repeating the effect.
 */
export const inbox = pgTable(
  'inbox',
  {
    consumer: text('consumer').notNull(),
    messageId: uuid('message_id').notNull(),
    messageType: text('message_type').notNull(),
    correlationId: uuid('correlation_id'),
    /** The reply the consumer produced, resent as-is when the message is delivered again. */
    reply: jsonb('reply').$type<unknown>(),
    receivedAt: timestamp('received_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    primaryKey({ columns: [table.consumer, table.messageId] }),
    // Retention finds old rows by age. Rows arrive in time order, so a BRIN index (a few pages,
    // next to nothing per insert) serves it without slowing the hot path's inserts.
    index('inbox_received_at_brin_idx').using('brin', table.receivedAt),
  ],
);

/**
 * Redelivered messages a process is running alone (its consumers' suspect lane): a row is
 * written and committed before the run and deleted after it, so a row found at the message's
 * next delivery means its process died while running it and nothing else. `runs` counts the runs
 * begun; a message is dead-lettered as a crash loop once enough of them never finished.
 */
export const messageCrashes = pgTable('message_crashes', {
  /** `<queue>/<message id>`. */
  key: text('key').primaryKey(),
  runs: integer('runs').notNull(),
  firstRunAt: timestamp('first_run_at', { withTimezone: true }).notNull().defaultNow(),
  lastRunAt: timestamp('last_run_at', { withTimezone: true }).notNull().defaultNow(),
});
