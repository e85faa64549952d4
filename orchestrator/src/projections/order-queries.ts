// Reads of the order-history read model for the checkout API: one order with its events, a customer's orders by cursor.
import type postgres from 'postgres';

export interface OrderEventView {
  readonly type: string;
  readonly aggregate: string;
  readonly sequence: number;
  readonly version: number;
  readonly occurredAt: string;
  readonly payload: unknown;
}

export interface OrderView {
  readonly orderId: string;
  readonly sagaId: string | null;
  readonly customerId: string | null;
  readonly status: string;
  readonly currency: string | null;
  readonly totalCents: number | null;
  readonly lines: readonly { sku: string; quantity: number; unitPriceCents: number }[];
  readonly cancelReason: string | null;
  readonly stock: string | null;
  readonly payment: string | null;
  readonly chargedCents: number | null;
  readonly refundedCents: number | null;
  readonly shipment: string | null;
  readonly placedAt: string | null;
  readonly updatedAt: string;
}

interface OrderRow {
  order_id: string;
  saga_id: string | null;
  customer_id: string | null;
  status: string;
  currency: string | null;
  total_cents: string | number | null;
  lines: unknown;
  cancel_reason: string | null;
  stock_status: string | null;
  payment_status: string | null;
  charged_cents: string | number | null;
  refunded_cents: string | number | null;
  shipment_status: string | null;
  placed_at: string | Date | null;
  updated_at: string | Date;
}

const iso = (value: string | Date | null): string | null =>
  value === null ? null : new Date(value).toISOString();
const num = (value: string | number | null): number | null => (value === null ? null : Number(value));
const json = (value: unknown): unknown => (typeof value === 'string' ? JSON.parse(value) : value);

function view(row: OrderRow): OrderView {
  return {
    orderId: row.order_id,
    sagaId: row.saga_id,
    customerId: row.customer_id,
    status: row.status,
    currency: row.currency,
    totalCents: num(row.total_cents),
    lines: (json(row.lines) as OrderView['lines'] | null) ?? [],
    cancelReason: row.cancel_reason,
    stock: row.stock_status,
    payment: row.payment_status,
    chargedCents: num(row.charged_cents),
    refundedCents: num(row.refunded_cents),
    shipment: row.shipment_status,
    placedAt: iso(row.placed_at),
    updatedAt: iso(row.updated_at)!,
  };
}

/** One order with every event, oldest first; null when the read model has no such order. */
export async function readOrder(
  sql: postgres.Sql,
  orderId: string,
): Promise<(OrderView & { events: OrderEventView[] }) | null> {
  const [rows, events] = await Promise.all([
    sql<OrderRow[]>`select * from projections.order_history where order_id = ${orderId}`,
    sql<
      {
        event_type: string;
        aggregate_type: string;
        sequence: number;
        written_version: number;
        occurred_at: string | Date;
        payload: unknown;
      }[]
    >`
      select event_type, aggregate_type, sequence, written_version, occurred_at, payload
      from projections.order_history_events where order_id = ${orderId} order by occurred_at, stream_offset`,
  ]);
  if (!rows[0]) return null;
  return {
    ...view(rows[0]),
    events: events.map((e) => ({
      type: e.event_type,
      aggregate: e.aggregate_type,
      sequence: e.sequence,
      version: e.written_version,
      occurredAt: iso(e.occurred_at)!,
      payload: json(e.payload),
    })),
  };
}

/** Where a page of a customer's orders ends: the last order's time and id. */
interface Cursor {
  readonly placedAt: string;
  readonly orderId: string;
}

export function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify([cursor.placedAt, cursor.orderId])).toString('base64url');
}

/** The cursor in `text`, or null when it is not one of ours. */
export function decodeCursor(text: string): Cursor | null {
  try {
    const value = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as unknown;
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [placedAt, orderId] = value as unknown[];
    if (typeof placedAt !== 'string' || Number.isNaN(Date.parse(placedAt))) return null;
    if (typeof orderId !== 'string' || !/^[0-9a-f-]{36}$/i.test(orderId)) return null;
    return { placedAt, orderId };
  } catch {
    return null;
  }
}

/** A customer's orders, newest first, `limit` at a time after `after`; `next` continues the list. */
export async function listCustomerOrders(
  sql: postgres.Sql,
  customerId: string,
  limit: number,
  after: Cursor | null,
): Promise<{ items: OrderView[]; next: string | null }> {
  const rows = after
    ? await sql<OrderRow[]>`
        select * from projections.order_history
        where customer_id = ${customerId} and (placed_at, order_id) < (${after.placedAt}::timestamptz, ${after.orderId}::uuid)
        order by placed_at desc, order_id desc limit ${limit + 1}`
    : await sql<OrderRow[]>`
        select * from projections.order_history
        where customer_id = ${customerId} and placed_at is not null
        order by placed_at desc, order_id desc limit ${limit + 1}`;
  const items = rows.slice(0, limit).map(view);
  const last = items[items.length - 1];
  const next =
    rows.length > limit && last?.placedAt
      ? encodeCursor({ placedAt: last.placedAt, orderId: last.orderId })
      : null;
  return { items, next };
}
