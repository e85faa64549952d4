// The order-history read model: per order its status, lines, amounts and every event with its time, from the event stream.
import type { DomainEvent } from '@sagaport/rabbitmq';
import type { Projection, StreamEvent } from '@sagaport/runtime';
import type postgres from 'postgres';

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

/**
 * Applies one event in one statement: records it in the order's event list (a second copy, same
 * aggregate and sequence, is dropped there and changes nothing) and, only if it was new, folds
 * it into the order's row. Each aggregate's first event never overwrites its later state, so
 * the row is right whatever order two aggregates' events come in.
 */
function applyOne(tx: postgres.TransactionSql, table: Tables, { offset, event }: StreamEvent) {
  const c = changeOf(event);
  const orderId = event.aggregateId;
  return tx.unsafe(
    `with ev as (
      insert into ${table.events}
        (order_id, aggregate_type, sequence, event_id, event_type, written_version, occurred_at, stream_offset, payload)
      values ($1, $2, $3, $4, $5, $6, $7, $8, $9::jsonb)
      on conflict do nothing
      returning order_id)
    insert into ${table.orders} as h (order_id, saga_id, status, customer_id, currency, total_cents, lines,
      cancel_reason, stock_status, payment_status, charged_cents, refunded_cents, shipment_status, placed_at, updated_at)
    select $1, $10, coalesce($11, 'created'), $12, $13, $14, $15::jsonb, $16, $17, $18, $19, $20, $21, $22, $7 from ev
    on conflict (order_id) do update set
      saga_id = coalesce(h.saga_id, excluded.saga_id),
      status = case when $11::text is null then h.status
        when $11 = 'created' and h.status in ('confirmed', 'cancelled') then h.status else $11 end,
      customer_id = coalesce($12, h.customer_id),
      currency = coalesce($13, h.currency),
      total_cents = coalesce($14, h.total_cents),
      lines = coalesce($15::jsonb, h.lines),
      cancel_reason = coalesce($16, h.cancel_reason),
      stock_status = case when $17::text is null then h.stock_status
        when $17 = 'held' and h.stock_status is not null then h.stock_status else $17 end,
      payment_status = case when $18::text is null then h.payment_status
        when h.payment_status = 'refunded' then h.payment_status else $18 end,
      charged_cents = coalesce($19, h.charged_cents),
      refunded_cents = coalesce($20, h.refunded_cents),
      shipment_status = case when $21::text is null then h.shipment_status
        when $21 = 'scheduled' and h.shipment_status is not null then h.shipment_status
        when $21 = 'reinstated' then 'scheduled' else $21 end,
      placed_at = coalesce($22, h.placed_at),
      updated_at = greatest(h.updated_at, excluded.updated_at)`,
    [
      orderId,
      event.aggregateType,
      event.sequence,
      event.eventId,
      event.type,
      event.writtenVersion,
      event.occurredAt.toISOString(),
      offset,
      JSON.stringify(event.payload),
      event.sagaId,
      c.status,
      c.customerId,
      c.currency,
      c.totalCents,
      c.lines,
      c.cancelReason,
      c.stockStatus,
      c.paymentStatus,
      c.chargedCents,
      c.refundedCents,
      c.shipmentStatus,
      c.placedAt,
    ],
    { prepare: true },
  );
}

/** The tables a projection writes: the live ones, or a rebuild's shadow copies. */
interface Tables {
  readonly orders: string;
  readonly events: string;
}

const liveTables: Tables = {
  orders: 'projections.order_history',
  events: 'projections.order_history_events',
};

/** The order-history projection; its statements of one batch are pipelined in the runner's transaction. */
export function orderHistoryProjection(tables: Tables = liveTables): Projection {
  return {
    name: ORDER_HISTORY,
    tables: [liveTables.orders, liveTables.events],
    // A rebuild writes the same statements into its shadow copies.
    retarget: (table) =>
      orderHistoryProjection({ orders: table(liveTables.orders), events: table(liveTables.events) }),
    async apply(tx, events) {
      // Events of one order are applied in stream order: the statements run in the order they are sent.
      await Promise.all(events.map((event) => applyOne(tx, tables, event)));
    },
  };
}
