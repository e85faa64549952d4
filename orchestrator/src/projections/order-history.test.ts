import { randomUUID } from 'node:crypto';
import { aggregateTypeOf, type DomainEvent, type EventPayload, type EventType } from '@sagaport/rabbitmq';
import { describe, expect, it } from 'vitest';
import { foldEvent, type OrderRow } from './order-history.js';

const orderId = randomUUID();
const sagaId = randomUUID();
let second = 0;

/** An event of the order, each one second after the previous one made. */
function event<E extends EventType>(type: E, payload: Omit<EventPayload<E>, 'orderId'>): DomainEvent {
  second += 1;
  return {
    eventId: randomUUID(),
    type,
    writtenVersion: 1,
    aggregateType: aggregateTypeOf(type),
    aggregateId: orderId,
    sequence: second,
    sagaId,
    occurredAt: new Date(Date.UTC(2026, 10, 30, 12, 0, second)),
    payload: { orderId, ...payload },
  };
}

const fold = (events: readonly DomainEvent[]) =>
  events.reduce<OrderRow | null>((row, e) => foldEvent(row, e), null);

const placed = () =>
  event('order.placed', {
    customerId: 'cust-1',
    items: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: 700 }],
    totalCents: 1400,
    currency: 'EUR',
  });

describe('order history: folding events into an order row', () => {
  it('builds the row of a completed checkout', () => {
    const events = [
      placed(),
      event('stock.reserved', {
        reservationId: randomUUID(),
        lines: [{ sku: 'SKU-1', quantity: 2 }],
        expiresAt: '2026-11-30T12:15:00Z',
      }),
      event('payment.charged', { chargeId: randomUUID(), amount: { cents: 1400, currency: 'EUR' } }),
      event('shipment.scheduled', { shipmentId: randomUUID(), country: 'DE' }),
      event('order.confirmed', {}),
      event('stock.committed', {}),
    ];
    expect(fold(events)).toEqual({
      order_id: orderId,
      saga_id: sagaId,
      customer_id: 'cust-1',
      status: 'confirmed',
      currency: 'EUR',
      total_cents: 1400,
      lines: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: 700 }],
      cancel_reason: null,
      stock_status: 'committed',
      payment_status: 'charged',
      charged_cents: 1400,
      refunded_cents: null,
      shipment_status: 'scheduled',
      placed_at: events[0]!.occurredAt.toISOString(),
      updated_at: events[5]!.occurredAt.toISOString(),
    });
  });

  it('lets no aggregate’s first event overwrite its later state, whatever order they come in', () => {
    const order = placed();
    const confirmed = event('order.confirmed', {});
    const reserved = event('stock.reserved', {
      reservationId: randomUUID(),
      lines: [{ sku: 'SKU-1', quantity: 2 }],
      expiresAt: '2026-11-30T12:15:00Z',
    });
    const committed = event('stock.committed', {});
    const scheduled = event('shipment.scheduled', { shipmentId: randomUUID(), country: 'DE' });
    const cancelled = event('shipment.cancelled', {});
    const row = fold([confirmed, committed, cancelled, order, reserved, scheduled])!;
    expect(row).toMatchObject({
      status: 'confirmed',
      customer_id: 'cust-1',
      total_cents: 1400,
      stock_status: 'committed',
      shipment_status: 'cancelled',
      placed_at: order.occurredAt.toISOString(),
      // The latest time among them, not the last one applied.
      updated_at: cancelled.occurredAt.toISOString(),
    });
  });

  it('keeps a refund, schedules a reinstated shipment again, and records a cancellation’s reason', () => {
    const row = fold([
      placed(),
      event('payment.charged', { chargeId: randomUUID(), amount: { cents: 1400, currency: 'EUR' } }),
      event('payment.refunded', { refundId: randomUUID(), amountCents: 1400 }),
      event('payment.charged', { chargeId: randomUUID(), amount: { cents: 1400, currency: 'EUR' } }),
      event('shipment.scheduled', { shipmentId: randomUUID(), country: 'DE' }),
      event('shipment.cancelled', {}),
      event('shipment.reinstated', {}),
      event('order.cancelled', { reason: 'customer asked' }),
    ])!;
    expect(row).toMatchObject({
      status: 'cancelled',
      cancel_reason: 'customer asked',
      payment_status: 'refunded',
      charged_cents: 1400,
      refunded_cents: 1400,
      shipment_status: 'scheduled',
    });
  });
});
