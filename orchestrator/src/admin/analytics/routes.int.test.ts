// Integration tests of the sales analytics: events on the real stream, the projection, and GET /analytics/sales for a viewer.
import { randomUUID } from 'node:crypto';
import { buildMessage, ConfirmPublisher, eventHeaders, type EventType } from '@sagaport/rabbitmq';
import { eventually } from '@sagaport/rabbitmq/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSession, type TestSession } from '@sagaport/admin-api/testing';
import { startTestStack, testProjectionSettings, type TestStack } from '../../test-support/stack.js';

interface Report {
  minutes: {
    revenueCancelled: { currency: string; cents: number }[];
    minute: string;
    unitsSold: number;
    revenue: { currency: string; cents: number }[];
    cardDeclines: number;
    ordersCancelled: number;
  }[];
  topSkus: {
    sku: string;
    unitsSold: number;
    revenue: { currency: string; cents: number }[];
    cardDeclines: number;
  }[];
}

describe('sales analytics (real stream, real PostgreSQL)', () => {
  let stack: TestStack;
  let viewer: TestSession;
  let publisher: ConfirmPublisher;

  beforeAll(async () => {
    stack = await startTestStack({ projections: testProjectionSettings });
    viewer = await createTestSession(stack.database.db, stack.orchestrator.app, 'viewer');
    publisher = new ConfirmPublisher(stack.broker.connection, { timeoutMs: 5_000 });
  });
  afterAll(async () => {
    await publisher?.close();
    await stack?.cleanup();
  });

  const publish = async (type: EventType, orderId: string, sequence: number, payload: object) => {
    await publisher.publish(
      buildMessage({
        exchange: stack.broker.topology.exchanges.events,
        routingKey: type,
        type,
        payload: { orderId, ...payload },
        correlationId: randomUUID(),
        headers: eventHeaders(type, { aggregateId: orderId, sequence }),
      }),
    );
  };
  const placed = (orderId: string, sku: string, quantity: number) =>
    publish('order.placed', orderId, 1, {
      customerId: 'c-1',
      items: [{ sku, quantity, unitPriceCents: 250 }],
      totalCents: quantity * 250,
      currency: 'EUR',
    });
  const report = async (query = '?minutes=5') => {
    const response = await viewer.request(`/analytics/sales${query}`);
    expect(response.status).toBe(200);
    return (await response.json()) as Report;
  };

  it('shows a viewer this minute’s units, revenue and declines, and the top SKUs', async () => {
    const sku = `SKU-${randomUUID().slice(0, 8).toUpperCase()}`;
    const sold = randomUUID();
    await placed(sold, sku, 3);
    await publish('order.confirmed', sold, 2, {});
    await publish('order.confirmed', sold, 2, {}); // a republished copy: booked once
    const declined = randomUUID();
    await placed(declined, `${sku}-X`, 1);
    await publish('payment.declined', declined, 1, {
      amountCents: 250,
      currency: 'EUR',
      reason: { code: 'card_declined', message: 'declined' },
    });
    await eventually(async () => (await report()).topSkus.length === 2, 20_000);
    const { minutes, topSkus } = await report();
    expect(minutes).toHaveLength(5);
    const total = minutes.reduce((n, m) => n + m.unitsSold, 0);
    expect(total).toBe(3);
    expect(minutes.flatMap((m) => m.revenue)).toEqual([{ currency: 'EUR', cents: 750 }]);
    expect(minutes.reduce((n, m) => n + m.cardDeclines, 0)).toBe(1);
    expect(topSkus.map((s) => [s.sku, s.unitsSold, s.cardDeclines])).toEqual([
      [sku, 3, 0],
      [`${sku}-X`, 0, 1],
    ]);

    // Cancelled after its sale, in a later batch: booked apart, the sale stays.
    await publish('order.cancelled', sold, 3, { reason: 'changed my mind' });
    await eventually(async () => (await report()).minutes.some((m) => m.ordersCancelled === 1), 20_000);
    const after = await report();
    expect(after.minutes.reduce((n, m) => n + m.unitsSold, 0)).toBe(3);
    expect(after.minutes.flatMap((m) => m.revenueCancelled)).toEqual([{ currency: 'EUR', cents: 750 }]);

    const projections = (await (await viewer.request('/projections')).json()) as {
      items: { name: string }[];
    };
    expect(projections.items.map((p) => p.name)).toContain('sales-analytics');
  });

  it('answers problem+json naming the field for a bad window', async () => {
    for (const query of ['?minutes=0', '?minutes=abc', '?minutes=100000', '?top=0']) {
      const response = await viewer.request(`/analytics/sales${query}`);
      expect(response.status).toBe(422);
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      const body = (await response.json()) as { errors: { field: string }[] };
      expect(body.errors[0]?.field).toBe(query.startsWith('?top') ? 'top' : 'minutes');
    }
  });
});
