// The sales-analytics read model: per minute and SKU, units and revenue sold, orders cancelled after the sale, card declines.
import type { DomainEvent } from '@sagaport/rabbitmq';
import type { Projection, ProjectionSql } from '@sagaport/runtime';

export const SALES_ANALYTICS = 'sales-analytics';

type Line = { sku: string; quantity: number; unitPriceCents: number };

/** What the projection knows of one order (a row of `sales_orders`). */
export interface SalesOrder {
  orderId: string;
  currency: string | null;
  lines: Line[] | null;
  confirmedAt: string | null;
  cancelledAt: string | null;
  declinedAt: string | null;
  soldBooked: boolean;
  cancelBooked: boolean;
  declineBooked: boolean;
}

/** What one minute, SKU and currency gains from a batch. */
export interface Bucket {
  minute: string;
  sku: string;
  currency: string;
  ordersSold: number;
  unitsSold: number;
  revenueCents: number;
  ordersCancelled: number;
  unitsCancelled: number;
  revenueCancelledCents: number;
  cardDeclines: number;
}

const relevant = new Set(['order.placed', 'order.confirmed', 'order.cancelled', 'payment.declined']);

const minuteOf = (iso: string) => new Date(Math.floor(Date.parse(iso) / 60_000) * 60_000).toISOString();

export const emptyOrder = (orderId: string): SalesOrder => ({
  orderId,
  currency: null,
  lines: null,
  confirmedAt: null,
  cancelledAt: null,
  declinedAt: null,
  soldBooked: false,
  cancelBooked: false,
  declineBooked: false,
});

/** Records the fact an event tells of its order; a fact already known (a copy of the event) stays as it was. */
export function recordFact(order: SalesOrder, event: DomainEvent): void {
  const at = event.occurredAt.toISOString();
  switch (event.type) {
    case 'order.placed': {
      const p = (event as DomainEvent<'order.placed'>).payload;
      order.lines ??= p.items.map(({ sku, quantity, unitPriceCents }) => ({ sku, quantity, unitPriceCents }));
      order.currency ??= p.currency;
      return;
    }
    case 'order.confirmed':
      order.confirmedAt ??= at;
      return;
    case 'order.cancelled':
      order.cancelledAt ??= at;
      return;
    case 'payment.declined':
      order.declinedAt ??= at;
      return;
  }
}

/**
 * Books what an order's known facts allow and it has not booked yet: its sale once confirmed, its
 * cancellation once both confirmed and cancelled (a checkout compensated before its confirmation
 * was never sold, so is no cancellation), its decline; each needs the order's lines.
 */
export function book(
  order: SalesOrder,
  add: (minute: string, line: Line, currency: string, field: 'sold' | 'cancelled' | 'declined') => void,
): void {
  const { lines, currency } = order;
  if (!lines || !currency) return;
  if (order.confirmedAt && !order.soldBooked) {
    for (const line of lines) add(minuteOf(order.confirmedAt), line, currency, 'sold');
    order.soldBooked = true;
  }
  if (order.confirmedAt && order.cancelledAt && !order.cancelBooked) {
    for (const line of lines) add(minuteOf(order.cancelledAt), line, currency, 'cancelled');
    order.cancelBooked = true;
  }
  if (order.declinedAt && !order.declineBooked) {
    for (const line of lines) add(minuteOf(order.declinedAt), line, currency, 'declined');
    order.declineBooked = true;
  }
}

/** Folds a batch into its orders (changed in place) and returns what each bucket gains. */
export function foldSales(orders: Map<string, SalesOrder>, events: readonly DomainEvent[]): Bucket[] {
  const buckets = new Map<string, Bucket>();
  const add = (minute: string, line: Line, currency: string, field: 'sold' | 'cancelled' | 'declined') => {
    const key = `${minute}|${line.sku}|${currency}`;
    let b = buckets.get(key);
    if (!b) {
      b = {
        minute,
        sku: line.sku,
        currency,
        ordersSold: 0,
        unitsSold: 0,
        revenueCents: 0,
        ordersCancelled: 0,
        unitsCancelled: 0,
        revenueCancelledCents: 0,
        cardDeclines: 0,
      };
      buckets.set(key, b);
    }
    const cents = line.quantity * line.unitPriceCents;
    if (field === 'sold') {
      b.ordersSold += 1;
      b.unitsSold += line.quantity;
      b.revenueCents += cents;
    } else if (field === 'cancelled') {
      b.ordersCancelled += 1;
      b.unitsCancelled += line.quantity;
      b.revenueCancelledCents += cents;
    } else {
      b.cardDeclines += 1;
    }
  };
  for (const event of events) {
    const order = orders.get(event.aggregateId);
    if (!order) continue;
    recordFact(order, event);
    book(order, add);
  }
  return [...buckets.values()];
}

interface OrderRow {
  order_id: string;
  currency: string | null;
  lines: Line[] | string | null;
  /** ISO 8601 text (`to_json`), which `Date` parses. */
  confirmed_at: string | null;
  cancelled_at: string | null;
  declined_at: string | null;
  sold_booked: boolean;
  cancel_booked: boolean;
  decline_booked: boolean;
}

const iso = (value: string | null) => (value === null ? null : new Date(value).toISOString());

/** The tables the projection writes: the live ones, or a rebuild's copies. */
interface Tables {
  readonly orders: string;
  readonly buckets: string;
}

const liveTables: Tables = { orders: 'projections.sales_orders', buckets: 'projections.sales_by_minute' };

/**
 * The sales-analytics projection. A batch costs three statements whatever its size: read its
 * orders, write them back, add to the minute buckets (the last two with the runner's COMMIT).
 */
export function salesAnalyticsProjection(tables: Tables = liveTables): Projection {
  return {
    name: SALES_ANALYTICS,
    tables: [liveTables.orders, liveTables.buckets],
    // A rebuild writes the same statements into its shadow copies.
    retarget: (table) =>
      salesAnalyticsProjection({ orders: table(liveTables.orders), buckets: table(liveTables.buckets) }),
    async apply(tx, streamEvents, commit) {
      const events = streamEvents.map((e) => e.event).filter((e) => relevant.has(e.type));
      if (events.length === 0) return;
      const ids = [...new Set(events.map((e) => e.aggregateId))];
      const rows = await tx.unsafe<OrderRow[]>(
        `select order_id, currency, lines, to_json(confirmed_at) #>> '{}' as confirmed_at,
           to_json(cancelled_at) #>> '{}' as cancelled_at, to_json(declined_at) #>> '{}' as declined_at,
           sold_booked, cancel_booked, decline_booked
         from ${tables.orders} where order_id = any($1::uuid[])`,
        [ids],
        { prepare: true },
      );
      const orders = new Map(ids.map((id) => [id, emptyOrder(id)]));
      for (const row of rows) {
        orders.set(row.order_id, {
          orderId: row.order_id,
          currency: row.currency,
          lines: typeof row.lines === 'string' ? (JSON.parse(row.lines) as Line[]) : row.lines,
          confirmedAt: iso(row.confirmed_at),
          cancelledAt: iso(row.cancelled_at),
          declinedAt: iso(row.declined_at),
          soldBooked: row.sold_booked,
          cancelBooked: row.cancel_booked,
          declineBooked: row.decline_booked,
        });
      }
      const buckets = foldSales(orders, events);
      // Both writes and the runner's COMMIT in one round trip (see Projection).
      await Promise.all([
        writeOrders(tx, tables, [...orders.values()]).execute(),
        writeBuckets(tx, tables, buckets)?.execute(),
        commit?.(),
      ]);
    },
  };
}

function writeOrders(tx: ProjectionSql, tables: Tables, orders: SalesOrder[]) {
  return tx.unsafe(
    `insert into ${tables.orders} as o (order_id, currency, lines, confirmed_at, cancelled_at, declined_at,
       sold_booked, cancel_booked, decline_booked)
     select x.order_id, x.currency, x.lines, x.confirmed_at, x.cancelled_at, x.declined_at,
       x.sold_booked, x.cancel_booked, x.decline_booked
     from jsonb_to_recordset($1::jsonb) as x(order_id uuid, currency text, lines jsonb, confirmed_at timestamptz,
       cancelled_at timestamptz, declined_at timestamptz, sold_booked boolean, cancel_booked boolean, decline_booked boolean)
     on conflict (order_id) do update set currency = excluded.currency, lines = excluded.lines,
       confirmed_at = excluded.confirmed_at, cancelled_at = excluded.cancelled_at, declined_at = excluded.declined_at,
       sold_booked = excluded.sold_booked, cancel_booked = excluded.cancel_booked, decline_booked = excluded.decline_booked`,
    [
      JSON.stringify(
        orders.map((o) => ({
          order_id: o.orderId,
          currency: o.currency,
          lines: o.lines,
          confirmed_at: o.confirmedAt,
          cancelled_at: o.cancelledAt,
          declined_at: o.declinedAt,
          sold_booked: o.soldBooked,
          cancel_booked: o.cancelBooked,
          decline_booked: o.declineBooked,
        })),
      ),
    ],
    { prepare: true },
  );
}

function writeBuckets(tx: ProjectionSql, tables: Tables, buckets: Bucket[]) {
  if (buckets.length === 0) return undefined;
  return tx.unsafe(
    `insert into ${tables.buckets} as b (minute, sku, currency, orders_sold, units_sold, revenue_cents,
       orders_cancelled, units_cancelled, revenue_cancelled_cents, card_declines)
     select x.minute, x.sku, x.currency, x."ordersSold", x."unitsSold", x."revenueCents",
       x."ordersCancelled", x."unitsCancelled", x."revenueCancelledCents", x."cardDeclines"
     from jsonb_to_recordset($1::jsonb) as x(minute timestamptz, sku text, currency text, "ordersSold" int,
       "unitsSold" bigint, "revenueCents" bigint, "ordersCancelled" int, "unitsCancelled" bigint,
       "revenueCancelledCents" bigint, "cardDeclines" int)
     order by x.minute, x.sku, x.currency
     on conflict (minute, sku, currency) do update set
       orders_sold = b.orders_sold + excluded.orders_sold,
       units_sold = b.units_sold + excluded.units_sold,
       revenue_cents = b.revenue_cents + excluded.revenue_cents,
       orders_cancelled = b.orders_cancelled + excluded.orders_cancelled,
       units_cancelled = b.units_cancelled + excluded.units_cancelled,
       revenue_cancelled_cents = b.revenue_cancelled_cents + excluded.revenue_cancelled_cents,
       card_declines = b.card_declines + excluded.card_declines`,
    [JSON.stringify(buckets)],
    { prepare: true },
  );
}
