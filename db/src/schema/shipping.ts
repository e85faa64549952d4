// The shipping worker's table: one shipment per saga.
import { jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const shippingSchema = pgSchema('shipping');

export const shipments = shippingSchema.table('shipments', {
  id: uuid('id').primaryKey(),
  sagaId: uuid('saga_id').notNull().unique(),
  orderId: uuid('order_id').notNull(),
  country: text('country').notNull(),
  address: jsonb('address').$type<Record<string, unknown>>().notNull(),
  /** scheduled → cancelled. */
  status: text('status').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
