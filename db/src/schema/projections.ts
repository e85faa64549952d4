// The projection runtime's tables (checkpoints, parked events) and the read models built from the event stream.
import { sql } from 'drizzle-orm';
import {
  bigint,
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgSchema,
  primaryKey,
  text,
  timestamp,
  unique,
  uniqueIndex,
  uuid,
} from 'drizzle-orm/pg-core';

export const projectionsSchema = pgSchema('projections');

/** Where each projection stands in the event stream; written in the same transaction as its read model. */
export const projectionCheckpoints = projectionsSchema.table('checkpoints', {
  name: text('name').primaryKey(),
  /** The last stream offset applied; -1 before the first. */
  streamOffset: bigint('stream_offset', { mode: 'number' }).notNull(),
  /** The time of the last event applied (its `x-occurred-at`). */
  lastEventAt: timestamp('last_event_at', { withTimezone: true }),
  appliedEvents: bigint('applied_events', { mode: 'number' }).notNull().default(0),
  /** `running`, `paused` (by an operator) or `stopped` (by a parked event, under the `stop` policy). */
  state: text('state').notNull().default('running'),
  lastError: text('last_error'),
  /** The runner that holds the lease (one per projection across processes) and until when. */
  owner: text('owner'),
  leaseUntil: timestamp('lease_until', { withTimezone: true }),
  updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
});

/** Events a projection could not apply, whole (like a dead letter), until an operator replays or skips them. */
export const parkedEvents = projectionsSchema.table(
  'parked_events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    projection: text('projection').notNull(),
    streamOffset: bigint('stream_offset', { mode: 'number' }).notNull(),
    /** The event's place in its stream message (0 for a message of its own; a batch's events count from 0). */
    eventIndex: integer('event_index').notNull().default(0),
    messageId: text('message_id'),
    messageType: text('message_type'),
    correlationId: text('correlation_id'),
    headers: jsonb('headers').$type<Record<string, unknown>>().notNull(),
    body: text('body').notNull(),
    error: text('error').notNull(),
    parkedAt: timestamp('parked_at', { withTimezone: true }).notNull().defaultNow(),
    /** `replayed` or `skipped`, by whom, when; null while open. */
    resolution: text('resolution'),
    resolvedBy: text('resolved_by'),
    resolvedAt: timestamp('resolved_at', { withTimezone: true }),
  },
  (table) => [
    unique('parked_events_projection_offset_key').on(table.projection, table.streamOffset, table.eventIndex),
    index('parked_events_open_idx')
      .on(table.projection, table.id)
      .where(sql`resolved_at is null`),
  ],
);

/** The order-history read model: one row per order, as its events tell it. */
export const orderHistory = projectionsSchema.table(
  'order_history',
  {
    orderId: uuid('order_id').primaryKey(),
    sagaId: uuid('saga_id'),
    customerId: text('customer_id'),
    /** `created`, `confirmed` or `cancelled` (the order worker's statuses). */
    status: text('status').notNull(),
    currency: text('currency'),
    totalCents: bigint('total_cents', { mode: 'number' }),
    lines: jsonb('lines').$type<{ sku: string; quantity: number; unitPriceCents: number }[]>(),
    cancelReason: text('cancel_reason'),
    /** `held`, `committed`, `released` or `expired`. */
    stockStatus: text('stock_status'),
    /** `charged`, `declined` or `refunded`. */
    paymentStatus: text('payment_status'),
    chargedCents: bigint('charged_cents', { mode: 'number' }),
    refundedCents: bigint('refunded_cents', { mode: 'number' }),
    /** `scheduled` or `cancelled`. */
    shipmentStatus: text('shipment_status'),
    placedAt: timestamp('placed_at', { withTimezone: true }),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull(),
  },
  (table) => [index('order_history_customer_idx').on(table.customerId, table.placedAt, table.orderId)],
);

/** Every event of every order, once: (order, aggregate, sequence) drops a republished event. */
export const orderHistoryEvents = projectionsSchema.table(
  'order_history_events',
  {
    orderId: uuid('order_id').notNull(),
    aggregateType: text('aggregate_type').notNull(),
    sequence: integer('sequence').notNull(),
    eventId: uuid('event_id').notNull(),
    eventType: text('event_type').notNull(),
    writtenVersion: integer('written_version').notNull(),
    occurredAt: timestamp('occurred_at', { withTimezone: true }).notNull(),
    streamOffset: bigint('stream_offset', { mode: 'number' }).notNull(),
    payload: jsonb('payload').$type<unknown>().notNull(),
  },
  (table) => [primaryKey({ columns: [table.orderId, table.aggregateType, table.sequence] })],
);

/**
 * Rebuilds of projections from the stream's start into shadow tables, and their progress; at most
 * one running (or swapping) per projection, across processes.
 */
export const projectionRebuilds = projectionsSchema.table(
  'rebuilds',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    projection: text('projection').notNull(),
    /** `running`, `swapping` (caught up, swapping in), `done` or `failed`. */
    state: text('state').notNull().default('running'),
    appliedEvents: bigint('applied_events', { mode: 'number' }).notNull().default(0),
    /** The last stream offset applied to the shadow tables; -1 before the first. */
    streamOffset: bigint('stream_offset', { mode: 'number' }).notNull(),
    /** The stream's last offset when the rebuild started (-1: empty); it reads at least that far. */
    targetOffset: bigint('target_offset', { mode: 'number' }).notNull(),
    lastEventAt: timestamp('last_event_at', { withTimezone: true }),
    startedBy: text('started_by').notNull(),
    startedAt: timestamp('started_at', { withTimezone: true }).notNull().defaultNow(),
    finishedAt: timestamp('finished_at', { withTimezone: true }),
    error: text('error'),
    /** The process running it, and its last sign of life: a rebuild silent for long was abandoned. */
    owner: text('owner').notNull(),
    heartbeatAt: timestamp('heartbeat_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (table) => [
    uniqueIndex('rebuilds_one_active_idx')
      .on(table.projection)
      .where(sql`state = any (array['running', 'swapping'])`),
    index('rebuilds_projection_idx').on(table.projection, table.id),
  ],
);

/**
 * The sales-analytics read model, per minute, SKU and currency: what was sold (confirmed orders,
 * booked at the minute of their confirmation), what was cancelled after it was sold (booked apart,
 * at the minute of the cancellation, never subtracted from the sale) and card declines (at the
 * minute of the refusal, for each SKU of the declined order).
 */
export const salesByMinute = projectionsSchema.table(
  'sales_by_minute',
  {
    minute: timestamp('minute', { withTimezone: true }).notNull(),
    sku: text('sku').notNull(),
    currency: text('currency').notNull(),
    ordersSold: integer('orders_sold').notNull().default(0),
    unitsSold: bigint('units_sold', { mode: 'number' }).notNull().default(0),
    revenueCents: bigint('revenue_cents', { mode: 'number' }).notNull().default(0),
    ordersCancelled: integer('orders_cancelled').notNull().default(0),
    unitsCancelled: bigint('units_cancelled', { mode: 'number' }).notNull().default(0),
    revenueCancelledCents: bigint('revenue_cancelled_cents', { mode: 'number' }).notNull().default(0),
    cardDeclines: integer('card_declines').notNull().default(0),
  },
  (table) => [primaryKey({ columns: [table.minute, table.sku, table.currency] })],
);

/**
 * What the sales projection knows of each order: its priced lines (from `order.placed`) and when
 * it was confirmed, cancelled or declined, with what of it is booked already. Events of one order
 * may arrive in any order and twice: each fact is set once, and each is booked once, as soon as
 * the lines it needs are known.
 */
export const salesOrders = projectionsSchema.table('sales_orders', {
  orderId: uuid('order_id').primaryKey(),
  currency: text('currency'),
  lines: jsonb('lines').$type<{ sku: string; quantity: number; unitPriceCents: number }[]>(),
  confirmedAt: timestamp('confirmed_at', { withTimezone: true }),
  cancelledAt: timestamp('cancelled_at', { withTimezone: true }),
  declinedAt: timestamp('declined_at', { withTimezone: true }),
  soldBooked: boolean('sold_booked').notNull().default(false),
  cancelBooked: boolean('cancel_booked').notNull().default(false),
  declineBooked: boolean('decline_booked').notNull().default(false),
});
