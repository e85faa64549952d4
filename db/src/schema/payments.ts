// The payment worker's tables: one charge per saga at most, and its refund.
import { integer, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

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
