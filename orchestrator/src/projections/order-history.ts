// The order-history read model: per order its status, lines, amounts and every event with its time, from the event stream.
import type { DomainEvent } from '@sagaport/rabbitmq';
import type { Commit, Projection, ProjectionSql, StreamEvent } from '@sagaport/runtime';

export const ORDER_HISTORY = 'order-history';

/** What one event changes in an order's row; null leaves a column as it is. */
interface Change {
  status: 'created' | 'confirmed' | 'cancelled' | null;
  customerId: string | null;
  currency: string | null;
  totalCents: number | null;
  lines: string | null;
  cancelReason: string | null;
  placedAt: string | null;
  stockStatus: 'held' | 'committed' | 'released' | 'expired' | 'returned' | null;
  paymentStatus: 'charged' | 'declined' | 'refunded' | null;
  chargedCents: number | null;
  refundedCents: number | null;
  shipmentStatus: 'scheduled' | 'cancelled' | 'reinstated' | null;
}

const none: Change = {
  status: null,
  customerId: null,
  currency: null,
  totalCents: null,
  lines: null,
  cancelReason: null,
  placedAt: null,
  stockStatus: null,
  paymentStatus: null,
  chargedCents: null,
  refundedCents: null,
  shipmentStatus: null,
};

/** The change each event type makes (its payload is at the current version: older ones were upcast). */
export function changeOf(event: DomainEvent): Change {
  const e = event as DomainEvent & { payload: Record<string, never> };
  switch (event.type) {
    case 'order.placed': {
      const p = (e as DomainEvent<'order.placed'>).payload;
      return {
        ...none,
        status: 'created',
        customerId: p.customerId,
        currency: p.currency,
        totalCents: p.totalCents,
        lines: JSON.stringify(p.items),
        placedAt: event.occurredAt.toISOString(),
      };
    }
    case 'order.confirmed':
      return { ...none, status: 'confirmed' };
    case 'order.cancelled':
      return {
        ...none,
        status: 'cancelled',
        cancelReason: (e as DomainEvent<'order.cancelled'>).payload.reason,
      };
    case 'stock.reserved':
      return { ...none, stockStatus: 'held' };
    case 'stock.released':
      return { ...none, stockStatus: 'released' };
    case 'stock.committed':
      return { ...none, stockStatus: 'committed' };
    case 'stock.expired':
      return { ...none, stockStatus: 'expired' };
    case 'stock.returned':
      return { ...none, stockStatus: 'returned' };
    case 'payment.charged': {
      const p = (e as DomainEvent<'payment.charged'>).payload;
      return { ...none, paymentStatus: 'charged', chargedCents: p.amount.cents, currency: p.amount.currency };
    }
    case 'payment.declined':
      return { ...none, paymentStatus: 'declined' };
    case 'payment.refunded':
      return {
        ...none,
        paymentStatus: 'refunded',
        refundedCents: (e as DomainEvent<'payment.refunded'>).payload.amountCents,
      };
    case 'shipment.scheduled':
      return { ...none, shipmentStatus: 'scheduled' };
    case 'shipment.cancelled':
      return { ...none, shipmentStatus: 'cancelled' };
    case 'shipment.reinstated':
      return { ...none, shipmentStatus: 'reinstated' };
  }
}

/** An order's row as the table holds it (`to_jsonb` of the row: timestamps as ISO strings). */
export interface OrderRow {
  order_id: string;
  saga_id: string | null;
  customer_id: string | null;
  status: string;
  currency: string | null;
  total_cents: number | null;
  lines: unknown;
  cancel_reason: string | null;
  stock_status: string | null;
  payment_status: string | null;
  charged_cents: number | null;
  refunded_cents: number | null;
  shipment_status: string | null;
  placed_at: string | null;
  updated_at: string;
}

const later = (a: string, b: string) => (Date.parse(a) >= Date.parse(b) ? a : b);

/**
 * Folds one new event into its order's row (null: the order has none yet). Each aggregate's first
 * event never overwrites its later state, so the row is right whatever order two aggregates'
 * events come in: `order.placed` arriving after `order.confirmed` leaves the status confirmed,
 * `stock.reserved` after `stock.committed` leaves it committed. A refund stays refunded; a
 * reinstated shipment is scheduled again; a column an event does not name keeps its value.
 */
export function foldEvent(row: OrderRow | null, event: DomainEvent): OrderRow {
  const c = changeOf(event);
  const occurredAt = event.occurredAt.toISOString();
  const lines = c.lines === null ? null : (JSON.parse(c.lines) as unknown);
  if (!row) {
    return {
      order_id: event.aggregateId.toLowerCase(),
      saga_id: event.sagaId ?? null,
      customer_id: c.customerId,
      status: c.status ?? 'created',
      currency: c.currency,
      total_cents: c.totalCents,
      lines,
      cancel_reason: c.cancelReason,
      stock_status: c.stockStatus,
      payment_status: c.paymentStatus,
      charged_cents: c.chargedCents,
      refunded_cents: c.refundedCents,
      shipment_status: c.shipmentStatus,
      placed_at: c.placedAt,
      updated_at: occurredAt,
    };
  }
  return {
    order_id: row.order_id,
    saga_id: row.saga_id ?? event.sagaId ?? null,
    customer_id: c.customerId ?? row.customer_id,
    status:
      c.status === null || (c.status === 'created' && ['confirmed', 'cancelled'].includes(row.status))
        ? row.status
        : c.status,
    currency: c.currency ?? row.currency,
    total_cents: c.totalCents ?? row.total_cents,
    lines: lines ?? row.lines,
    cancel_reason: c.cancelReason ?? row.cancel_reason,
    stock_status:
      c.stockStatus === null || (c.stockStatus === 'held' && row.stock_status !== null)
        ? row.stock_status
        : c.stockStatus,
    payment_status:
      c.paymentStatus === null || row.payment_status === 'refunded' ? row.payment_status : c.paymentStatus,
    charged_cents: c.chargedCents ?? row.charged_cents,
    refunded_cents: c.refundedCents ?? row.refunded_cents,
    shipment_status:
      c.shipmentStatus === null || (c.shipmentStatus === 'scheduled' && row.shipment_status !== null)
        ? row.shipment_status
        : c.shipmentStatus === 'reinstated'
          ? 'scheduled'
          : c.shipmentStatus,
    placed_at: c.placedAt ?? row.placed_at,
    updated_at: later(row.updated_at, occurredAt),
  };
}

/**
 * Applies a batch in three statements, whatever its size: records the events in the orders'
 * event lists (a second copy, same aggregate and sequence, is dropped there and changes nothing)
 * while reading the batch's orders as they stand (locked), then folds the new events into them in
 * stream order ({@link foldEvent}) and writes each changed order once, with the runner's COMMIT. One statement per event
 * cost PostgreSQL a parse, a plan and an index probe each: a rebuild applied 5,222 events/s.
 */
async function applyBatch(tx: ProjectionSql, table: Tables, events: readonly StreamEvent[], commit?: Commit) {
  if (events.length === 0) return;
  const recordedJson = JSON.stringify(
    events.map(({ offset, event }) => ({
      order_id: event.aggregateId,
      aggregate_type: event.aggregateType,
      sequence: event.sequence,
      event_id: event.eventId,
      event_type: event.type,
      written_version: event.writtenVersion,
      occurred_at: event.occurredAt.toISOString(),
      stream_offset: offset,
      payload: event.payload,
    })),
  );
  const orderIds = [...new Set(events.map((e) => e.event.aggregateId))];
  const [recorded, current] = await Promise.all([
    tx.unsafe<{ key: string }[]>(
      `insert into ${table.events}
        (order_id, aggregate_type, sequence, event_id, event_type, written_version, occurred_at, stream_offset, payload)
      select order_id, aggregate_type, sequence, event_id, event_type, written_version, occurred_at, stream_offset, payload
      from jsonb_to_recordset($1::jsonb) as e(order_id uuid, aggregate_type text, sequence int, event_id uuid,
        event_type text, written_version int, occurred_at timestamptz, stream_offset bigint, payload jsonb)
      on conflict do nothing
      returning order_id || '/' || aggregate_type || '/' || sequence as key`,
      [recordedJson],
      { prepare: true },
    ),
    tx.unsafe<{ row: OrderRow | string }[]>(
      // The ids as one JSON text: no array parameter, whose type postgres.js learns only once a
      // connection has fetched the array types. `= any(array(…))`, not `in (select …)`: the
      // planner guesses 100 ids for a set-returning function and then prefers a sequential scan
      // (and its cost grows with the table) to 100 primary-key probes.
      `select to_jsonb(h) as row from ${table.orders} h
      where order_id = any(array(select value::uuid from jsonb_array_elements_text($1::jsonb))) for update`,
      [JSON.stringify(orderIds)],
      { prepare: true },
    ),
  ]);
  const fresh = new Set(recorded.map((r) => r.key));
  const rows = new Map<string, OrderRow>();
  for (const { row } of current) {
    const parsed = typeof row === 'string' ? (JSON.parse(row) as OrderRow) : row;
    rows.set(parsed.order_id, parsed);
  }
  const changed = new Set<string>();
  for (const { event } of events) {
    const key = `${event.aggregateId.toLowerCase()}/${event.aggregateType}/${event.sequence}`;
    // Recorded just now, and the first copy of it in this batch.
    if (!fresh.delete(key)) continue;
    const orderId = event.aggregateId.toLowerCase();
    rows.set(orderId, foldEvent(rows.get(orderId) ?? null, event));
    changed.add(orderId);
  }
  if (changed.size === 0) return;
  const written = JSON.stringify([...changed].map((id) => rows.get(id)));
  const write = tx
    .unsafe(
      `insert into ${table.orders} select * from jsonb_populate_recordset(null::${table.orders}, $1::jsonb)
    on conflict (order_id) do update set ${orderColumns.map((c) => `${c} = excluded.${c}`).join(', ')}`,
      [written],
      { prepare: true },
    )
    .execute();
  // The write and the runner's COMMIT in one round trip (see Projection).
  await Promise.all([write, commit?.()]);
}

/** The columns of the order rows that an event can change (all but the key). */
const orderColumns = [
  'saga_id',
  'customer_id',
  'status',
  'currency',
  'total_cents',
  'lines',
  'cancel_reason',
  'stock_status',
  'payment_status',
  'charged_cents',
  'refunded_cents',
  'shipment_status',
  'placed_at',
  'updated_at',
] as const;

/** The tables a projection writes: the live ones, or a rebuild's shadow copies. */
interface Tables {
  readonly orders: string;
  readonly events: string;
}

const liveTables: Tables = {
  orders: 'projections.order_history',
  events: 'projections.order_history_events',
};

/** The order-history projection; a batch is three statements in the runner's transaction. */
export function orderHistoryProjection(tables: Tables = liveTables): Projection {
  return {
    name: ORDER_HISTORY,
    tables: [liveTables.orders, liveTables.events],
    // A rebuild writes the same statements into its shadow copies.
    retarget: (table) =>
      orderHistoryProjection({ orders: table(liveTables.orders), events: table(liveTables.events) }),
    async apply(tx, events, commit) {
      await applyBatch(tx, tables, events, commit);
    },
  };
}
