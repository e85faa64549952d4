// The payment worker's tables: one charge per saga at most, and its refund; and the simulated provider's own record.
import { sql } from 'drizzle-orm';
import {
  bigserial,
  boolean,
  integer,
  pgSchema,
  text,
  timestamp,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const paymentsSchema = pgSchema('payments');

/** A successful charge; `saga_id` is unique, so a saga can never be charged twice. */
export const charges = paymentsSchema.table('charges', {
  id: uuid('id').primaryKey(),
  sagaId: uuid('saga_id').notNull().unique(),
  orderId: uuid('order_id').notNull(),
  amountCents: integer('amount_cents').notNull(),
  currency: text('currency').notNull(),
  providerReference: text('provider_reference').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/** The refund of a saga's charge; unique per saga, so a refund is never paid twice. */
export const refunds = paymentsSchema.table('refunds', {
  id: uuid('id').primaryKey(),
  sagaId: uuid('saga_id').notNull().unique(),
  chargeId: uuid('charge_id').notNull(),
  amountCents: integer('amount_cents').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});

/**
 * The simulated card provider's own record of every call it answered, written by the provider on
 * its own connections, outside the payment worker's transaction: what a real provider's dashboard
 * would show, kept even when the worker's transaction rolls back. A call repeating an idempotency
 * key that already moved money is answered from that first call and recorded as `replayed`, so
 * the money moved is the rows with status 201 that are not replayed, whichever worker process
 * asked. The unique index is the provider's idempotency, shared by every worker process.
 */
export const providerCalls = paymentsSchema.table(
  'provider_calls',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** `charge` or `refund`. */
    operation: text('operation').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    /** The provider's answer: 201 accepted, 400 or 402 refused, 503 unavailable. */
    status: integer('status').notNull(),
    /** The reference of the accepted charge or refund; null when refused. */
    reference: text('reference'),
    amountCents: integer('amount_cents').notNull(),
    /** Answered from an earlier accepted call with the same key: no money moved this time. */
    replayed: boolean('replayed').notNull().default(false),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    uniqueIndex('provider_calls_money_moved_idx')
      .on(t.operation, t.idempotencyKey)
      .where(sql`${t.status} = 201 and not ${t.replayed}`),
  ],
);
