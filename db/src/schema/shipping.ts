// The shipping worker's table: one shipment per saga.
import { integer, jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const shippingSchema = pgSchema('shipping');

export const shipments = shippingSchema.table('shipments', {
  id: uuid('id').primaryKey(),
  sagaId: uuid('saga_id').notNull().unique(),
  orderId: uuid('order_id').notNull(),
  country: text('country').notNull(),
  address: jsonb('address').$type<Record<string, unknown>>().notNull(),
  /**
   * scheduled → cancelled (the checkout compensated), or scheduled → shipped (its dispatch time
   * passed, or the worker was told to dispatch it), or scheduled → withdrawn (an order
   * cancellation, `withdrawn_by`) → scheduled again (that cancellation compensated).
   */
  status: text('status').notNull(),
  /** When the parcel leaves: a withdrawal at or after this time finds it shipped. Null: never by itself. */
  shipAfter: timestamp('ship_after', { withTimezone: true }),
  shippedAt: timestamp('shipped_at', { withTimezone: true }),
  /** The order-cancellation saga that withdrew the shipment. */
  withdrawnBy: uuid('withdrawn_by'),
  /**
   * The sequence of the shipment's last domain event: 1 when scheduled, one more at each change
   * (cancelled, withdrawn, scheduled again), so a shipment withdrawn and reinstated several
   * times still numbers its events in order.
   */
  eventSequence: integer('event_sequence').notNull().default(1),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});
