import { randomUUID } from 'node:crypto';
import type { DomainEvent, EventType } from '@sagaport/rabbitmq';
import { describe, expect, it } from 'vitest';
import { emptyOrder, foldSales, type SalesOrder } from './sales.js';

const orderId = randomUUID();
let sequence = 0;

function event(type: EventType, at: string, payload: object = {}): DomainEvent {
  sequence += 1;
  return {
    eventId: randomUUID(),
    type,
    writtenVersion: 1,
    aggregateType: type.startsWith('order') ? 'order' : 'payment',
    aggregateId: orderId,
    sequence,
    sagaId: randomUUID(),
    occurredAt: new Date(at),
    payload: { orderId, ...payload },
  };
}

const placed = (at: string) =>
  event('order.placed', at, {
    customerId: 'c-1',
    currency: 'EUR',
    totalCents: 1_650,
    items: [
      { sku: 'A', quantity: 2, unitPriceCents: 500 },
      { sku: 'B', quantity: 1, unitPriceCents: 650 },
    ],
  });

/** Folds `batches` one after another (as the runner's transactions would), returning every bucket booked. */
function run(...batches: DomainEvent[][]) {
  const orders = new Map<string, SalesOrder>();
  const booked = [];
  for (const batch of batches) {
    for (const e of batch)
      if (!orders.has(e.aggregateId)) orders.set(e.aggregateId, emptyOrder(e.aggregateId));
    booked.push(...foldSales(orders, batch));
  }
  return { booked, order: orders.get(orderId)! };
}

const totals = (booked: ReturnType<typeof run>['booked']) =>
  booked.reduce(
    (t, b) => ({
      unitsSold: t.unitsSold + b.unitsSold,
      revenueCents: t.revenueCents + b.revenueCents,
      ordersCancelled: t.ordersCancelled + b.ordersCancelled,
      unitsCancelled: t.unitsCancelled + b.unitsCancelled,
      cardDeclines: t.cardDeclines + b.cardDeclines,
    }),
    { unitsSold: 0, revenueCents: 0, ordersCancelled: 0, unitsCancelled: 0, cardDeclines: 0 },
  );

describe('sales analytics fold', () => {
  it('books a confirmed order’s lines at the minute of its confirmation', () => {
    const { booked } = run([
      placed('2026-01-01T10:00:05Z'),
      event('order.confirmed', '2026-01-01T10:01:30Z'),
    ]);
    expect(booked).toEqual([
      expect.objectContaining({
        minute: '2026-01-01T10:01:00.000Z',
        sku: 'A',
        unitsSold: 2,
        revenueCents: 1_000,
      }),
      expect.objectContaining({
        minute: '2026-01-01T10:01:00.000Z',
        sku: 'B',
        unitsSold: 1,
        revenueCents: 650,
      }),
    ]);
  });

  it('books a sale once, whatever the order of its events and however often they come', () => {
    const confirmed = event('order.confirmed', '2026-01-01T10:01:30Z');
    const { booked } = run([confirmed], [placed('2026-01-01T10:00:05Z'), confirmed], [confirmed]);
    expect(totals(booked)).toMatchObject({ unitsSold: 3, revenueCents: 1_650 });
  });

  it('reports a confirmed order’s later cancellation apart, at its own minute, and keeps the sale', () => {
    const { booked } = run(
      [placed('2026-01-01T10:00:05Z'), event('order.confirmed', '2026-01-01T10:00:30Z')],
      [event('order.cancelled', '2026-01-01T10:07:00Z', { reason: 'asked' })],
    );
    expect(totals(booked)).toEqual({
      unitsSold: 3,
      revenueCents: 1_650,
      ordersCancelled: 2,
      unitsCancelled: 3,
      cardDeclines: 0,
    });
    expect(booked.filter((b) => b.ordersCancelled > 0).map((b) => b.minute)).toEqual([
      '2026-01-01T10:07:00.000Z',
      '2026-01-01T10:07:00.000Z',
    ]);
  });

  it('counts a declined checkout as a decline per SKU, neither sold nor cancelled', () => {
    const { booked } = run([
      placed('2026-01-01T10:00:05Z'),
      event('payment.declined', '2026-01-01T10:00:06Z', {
        amountCents: 1_650,
        currency: 'EUR',
        reason: { code: 'card_declined', message: 'no' },
      }),
      event('order.cancelled', '2026-01-01T10:00:07Z', { reason: 'card declined' }),
    ]);
    expect(totals(booked)).toEqual({
      unitsSold: 0,
      revenueCents: 0,
      ordersCancelled: 0,
      unitsCancelled: 0,
      cardDeclines: 2,
    });
  });
});
