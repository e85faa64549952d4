// The order worker's tables.
import { jsonb, pgSchema, integer, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const ordersSchema = pgSchema('orders');

export const orders = ordersSchema.table('orders', {
  id: uuid('id').primaryKey(),
  sagaId: uuid('saga_id').notNull().unique(),
  customerId: text('customer_id').notNull(),
  email: text('email').notNull(),
  items: jsonb('items').$type<{ sku: string; quantity: number; unitPriceCents: number }[]>().notNull(),
  totalCents: integer('total_cents').notNull(),
  currency: text('currency').notNull(),
  shippingAddress: jsonb('shipping_address').$type<Record<string, unknown>>().notNull(),
  /** created → confirmed, or created → cancelled. */
  status: text('status').notNull(),
  cancelReason: text('cancel_reason'),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
