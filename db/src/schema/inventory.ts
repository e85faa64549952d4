// The inventory worker's tables: the catalogue with its stock, and reservations (holds) with an expiry.
import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const inventorySchema = pgSchema('inventory');

/** The catalogue; `available` is stock not held by any reservation and never goes below zero. */
export const products = inventorySchema.table(
  'products',
  {
    sku: text('sku').primaryKey(),
    name: text('name').notNull(),
    priceCents: integer('price_cents').notNull(),
    currency: text('currency').notNull(),
    available: integer('available').notNull(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [check('products_available_nonnegative', sql`${t.available} >= 0`)],
);

/** A hold on stock for one order: held → committed (order confirmed) or released (compensation, expiry). */
export const reservations = inventorySchema.table(
  'reservations',
  {
    id: uuid('id').primaryKey(),
    orderId: uuid('order_id').notNull().unique(),
    sagaId: uuid('saga_id').notNull(),
    lines: jsonb('lines').$type<{ sku: string; quantity: number }[]>().notNull(),
    status: text('status').notNull(),
    expiresAt: timestamp('expires_at', { withTimezone: true }).notNull(),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [
    index('reservations_expiry_idx')
      .on(t.expiresAt)
      .where(sql`${t.status} = 'held'`),
  ],
);
