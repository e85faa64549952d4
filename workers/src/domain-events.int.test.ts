// Integration tests of the domain events every worker raises: one per state change, in the same transaction, with metadata.
import { randomUUID } from 'node:crypto';
import { outbox, reservations, type NewOutboxMessage } from '@sagaport/db';
import { EventHeader, readEvent, type DomainEvent } from '@sagaport/rabbitmq';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inventoryHandlers } from './inventory/handler.js';
import { createOrderEventHandler } from './inventory/order-events.js';
import { sweepExpiredReservations } from './inventory/sweeper.js';
import { orderHandlers } from './order/handler.js';
import { paymentHandlers } from './payment/handler.js';
import { SimulatedPaymentProvider } from './payment/provider.js';
import { createCommandProcessor } from './runtime/command-handler.js';
import type { StoredReply } from './runtime/messages.js';
import { shippingHandlers } from './shipping/handler.js';
import { address, delivery, orderCreate, stockProducts } from './test-support/commands.js';
import {
  createWorkerTestDatabase,
  undeclaredTopology,
  type WorkerTestDatabase,
} from './test-support/database.js';

describe('domain events', () => {
  let database: WorkerTestDatabase;
  const topology = undeclaredTopology();
  let processors: Record<
    'order' | 'inventory' | 'payment' | 'shipping',
    ReturnType<typeof createCommandProcessor>
  >;
  let onOrderEvent: ReturnType<typeof createOrderEventHandler>;

  beforeAll(async () => {
    database = await createWorkerTestDatabase();
    const common = { sql: database.sql, topology };
    processors = {
      order: createCommandProcessor({ ...common, worker: 'order', handlers: orderHandlers }),
      inventory: createCommandProcessor({
        ...common,
        worker: 'inventory',
        handlers: inventoryHandlers({ reservationTtlSeconds: 900 }),
      }),
      payment: createCommandProcessor({
        ...common,
        worker: 'payment',
        handlers: paymentHandlers(new SimulatedPaymentProvider({ slowMs: 10 })),
      }),
      shipping: createCommandProcessor({
        ...common,
        worker: 'shipping',
        handlers: shippingHandlers({ shippingCountries: ['DE'], shippingDispatchDelayMs: 86_400_000 }),
      }),
    };
    onOrderEvent = createOrderEventHandler(database.sql, undefined, topology);
    await stockProducts(database.db, { 'EVT-1': 1000 });
  });
  afterAll(async () => {
    await database?.dispose();
  });

  /** The events of `sagaId` written to the outbox, read back as a projection reads them. */
  const eventsOf = async (sagaId: string): Promise<DomainEvent[]> => {
    const rows = await database.db
      .select()
      .from(outbox)
      .where(eq(outbox.correlationId, sagaId))
      .orderBy(outbox.id);
    return rows
      .filter((row) => row.exchange === topology.exchanges.events)
      .map((row) =>
        readEvent({
          messageId: row.messageId,
          type: row.messageType,
          correlationId: row.correlationId,
          headers: row.headers,
          body: row.payload,
        }),
      );
  };
  const summary = (events: DomainEvent[]) =>
    events.map((e) => `${e.type}#${e.aggregateType}:${e.sequence}@v${e.writtenVersion}`);

  /** Runs a checkout's commands to its end (its order confirmed, its stock committed). */
  const completeCheckout = async (
    sagaId: string,
    order: ReturnType<typeof orderCreate>,
    handleOrderEvent: ReturnType<typeof createOrderEventHandler> = onOrderEvent,
  ) => {
    const { orderId } = order;
    const quantity = order.items[0]!.quantity;
    await processors.order(delivery('order.create', order, { sagaId }));
    await processors.inventory(
      delivery('inventory.reserve', { orderId, items: [{ sku: 'EVT-1', quantity }] }, { sagaId }),
    );
    await processors.payment(
      delivery(
        'payment.charge',
        { orderId, amountCents: order.totalCents, currency: 'EUR', paymentToken: 'tok_visa' },
        { sagaId },
      ),
    );
    await processors.shipping(
      delivery('shipping.schedule', { orderId, address, items: [{ sku: 'EVT-1', quantity }] }, { sagaId }),
    );
    await processors.order(delivery('order.confirm', { orderId }, { sagaId }));
    const confirmed = (await eventsOf(sagaId)).find((e) => e.type === 'order.confirmed')!;
    const orderEvent = {
      messageId: confirmed.eventId,
      type: 'order.confirmed',
      correlationId: sagaId,
      payload: { orderId },
    };
    await handleOrderEvent([orderEvent]);
    return orderEvent;
  };

  it('publishing directly: stock.committed is stored with its order event, published after the commit, and again on a redelivery', async () => {
    const published: NewOutboxMessage[][] = [];
    let failPublish = true;
    const handler = createOrderEventHandler(database.sql, undefined, topology, (messages) => {
      published.push([...messages]);
      return failPublish ? Promise.reject(new Error('broker gone')) : Promise.resolve();
    });
    const sagaId = randomUUID();
    const order = { ...orderCreate(), items: [{ sku: 'EVT-1', quantity: 1, unitPriceCents: 450 }] };
    // The publish fails after the commit (the process could as well have died there): the batch
    // fails, so the consumer does not ack, but the hold is committed and the event is kept.
    await expect(completeCheckout(sagaId, { ...order, totalCents: 450 }, handler)).rejects.toThrow(
      'broker gone',
    );
    const [reservation] = await database.db
      .select()
      .from(reservations)
      .where(eq(reservations.orderId, order.orderId));
    expect(reservation?.status).toBe('committed');
    expect(published).toHaveLength(1);
    expect(published[0]).toEqual([
      expect.objectContaining({
        exchange: topology.exchanges.events,
        routingKey: 'stock.committed',
        messageType: 'stock.committed',
        correlationId: sagaId,
        payload: { orderId: order.orderId },
      }),
    ]);
    // Nothing went through the outbox.
    expect(summary(await eventsOf(sagaId))).not.toContain('stock.committed#stock:2@v1');

    // Redelivered: nothing is committed twice, and the same event (same message id) goes out again.
    failPublish = false;
    const confirmed = (await eventsOf(sagaId)).find((e) => e.type === 'order.confirmed')!;
    await handler([
      {
        messageId: confirmed.eventId,
        type: 'order.confirmed',
        correlationId: sagaId,
        payload: { orderId: order.orderId },
      },
    ]);
    expect(published).toHaveLength(2);
    expect(published[1]).toEqual(published[0]);
    const [again] = await database.db
      .select()
      .from(reservations)
      .where(eq(reservations.orderId, order.orderId));
    expect(again?.updatedAt).toEqual(reservation?.updatedAt);

    // An order.cancelled raises nothing to publish: no publish at all.
    await handler([
      {
        messageId: randomUUID(),
        type: 'order.cancelled',
        correlationId: sagaId,
        payload: { orderId: order.orderId },
      },
    ]);
    expect(published).toHaveLength(2);
  });

  it('raises one event per change of a completed checkout, each with aggregate, sequence, saga, time and version', async () => {
    const sagaId = randomUUID();
    const order = { ...orderCreate(), items: [{ sku: 'EVT-1', quantity: 2, unitPriceCents: 450 }] };
    const { orderId } = order;
    const before = Date.now();
    await completeCheckout(sagaId, { ...order, totalCents: 900 });

    const events = await eventsOf(sagaId);
    expect(summary(events)).toEqual([
      'order.placed#order:1@v1',
      'stock.reserved#stock:1@v1',
      'payment.charged#payment:1@v2',
      'shipment.scheduled#shipment:1@v1',
      'order.confirmed#order:2@v1',
      'stock.committed#stock:2@v1',
    ]);
    for (const event of events) {
      expect(event).toMatchObject({ aggregateId: orderId, sagaId });
      expect(event.occurredAt.getTime()).toBeGreaterThanOrEqual(before - 1000);
    }
    expect(events[0]!.payload).toEqual({
      orderId,
      customerId: 'customer-1',
      items: order.items,
      totalCents: 900,
      currency: 'EUR',
    });
    expect(events[2]!.payload).toMatchObject({ orderId, amount: { cents: 900, currency: 'EUR' } });
  });

  it('raises the refusal and the compensations of a declined card', async () => {
    const sagaId = randomUUID();
    const order = {
      ...orderCreate(),
      items: [{ sku: 'EVT-1', quantity: 1, unitPriceCents: 450 }],
      totalCents: 450,
    };
    const { orderId } = order;
    await processors.order(delivery('order.create', order, { sagaId }));
    await processors.inventory(
      delivery('inventory.reserve', { orderId, items: [{ sku: 'EVT-1', quantity: 1 }] }, { sagaId }),
    );
    const declined = await processors.payment(
      delivery(
        'payment.charge',
        { orderId, amountCents: 450, currency: 'EUR', paymentToken: 'tok_declined' },
        { sagaId },
      ),
    );
    expect(declined.reply?.payload).toMatchObject({ outcome: 'failed', reason: { code: 'card_declined' } });
    await processors.inventory(delivery('inventory.release', { orderId }, { sagaId }));
    await processors.order(delivery('order.cancel', { orderId, reason: 'card declined' }, { sagaId }));
    // Compensating again changes nothing and raises nothing.
    await processors.inventory(delivery('inventory.release', { orderId }, { sagaId }));

    const events = await eventsOf(sagaId);
    expect(summary(events)).toEqual([
      'order.placed#order:1@v1',
      'stock.reserved#stock:1@v1',
      'payment.declined#payment:1@v1',
      'stock.released#stock:2@v1',
      'order.cancelled#order:2@v1',
    ]);
    expect(events[2]!.payload).toMatchObject({
      orderId,
      amountCents: 450,
      reason: { code: 'card_declined' },
    });
  });

  it('raises an event for each change of an order cancellation, after the checkout’s, in its transaction', async () => {
    const checkoutSagaId = randomUUID();
    const order = {
      ...orderCreate(),
      items: [{ sku: 'EVT-1', quantity: 3, unitPriceCents: 200 }],
      totalCents: 600,
    };
    const { orderId } = order;
    await completeCheckout(checkoutSagaId, order);
    const sagaId = randomUUID();
    const ids = { orderId, checkoutSagaId };
    await processors.shipping(delivery('shipping.withdraw', ids, { sagaId }));
    await processors.payment(
      delivery('payment.reimburse', { ...ids, amountCents: 600, currency: 'EUR' }, { sagaId }),
    );
    await processors.inventory(delivery('inventory.restock', { orderId }, { sagaId }));
    await processors.order(delivery('order.revoke', { orderId, reason: 'customer asked' }, { sagaId }));
    // Each change made once: a second message of the same saga changes nothing and raises nothing new.
    await processors.inventory(delivery('inventory.restock', { orderId }, { sagaId }));
    await processors.order(delivery('order.revoke', { orderId, reason: 'customer asked' }, { sagaId }));

    const events = await eventsOf(sagaId);
    expect(summary(events)).toEqual([
      'shipment.cancelled#shipment:2@v1',
      'payment.refunded#payment:2@v1',
      'stock.returned#stock:3@v1',
      'order.cancelled#order:3@v1',
    ]);
    for (const event of events) expect(event).toMatchObject({ aggregateId: orderId, sagaId });
    expect(events[1]!.payload).toMatchObject({ orderId, amountCents: 600 });
    expect(events[2]!.payload).toEqual({ orderId, units: 3 });
  });

  it('numbers a shipment withdrawn, reinstated and withdrawn again in order', async () => {
    const checkoutSagaId = randomUUID();
    const order = {
      ...orderCreate(),
      items: [{ sku: 'EVT-1', quantity: 1, unitPriceCents: 100 }],
      totalCents: 100,
    };
    const { orderId } = order;
    await completeCheckout(checkoutSagaId, order);
    const ids = { orderId, checkoutSagaId };
    const first = randomUUID();
    await processors.shipping(delivery('shipping.withdraw', ids, { sagaId: first }));
    await processors.shipping(delivery('shipping.reinstate', ids, { sagaId: first }));
    const second = randomUUID();
    await processors.shipping(delivery('shipping.withdraw', ids, { sagaId: second }));
    expect([...summary(await eventsOf(first)), ...summary(await eventsOf(second))]).toEqual([
      'shipment.cancelled#shipment:2@v1',
      'shipment.reinstated#shipment:3@v1',
      'shipment.cancelled#shipment:4@v1',
    ]);
  });

  it('stores the events in the inbox row, so a redelivered command publishes the very same events', async () => {
    const sagaId = randomUUID();
    const order = orderCreate();
    const command = delivery('order.create', order, { sagaId });
    await processors.order(command);
    const again = await processors.order(command);
    expect(again.duplicate).toBe(true);
    const stored = again.reply as StoredReply;
    const [placed] = await eventsOf(sagaId);
    expect(stored.events?.map((e) => [e.messageId, e.type, e.headers?.[EventHeader.sequence]])).toEqual([
      [placed!.eventId, 'order.placed', 1],
    ]);
  });

  it('raises stock.expired for a hold the sweeper releases, in the sweep’s transaction', async () => {
    const sagaId = randomUUID();
    const orderId = randomUUID();
    await processors.inventory(
      delivery('inventory.reserve', { orderId, items: [{ sku: 'EVT-1', quantity: 1 }] }, { sagaId }),
    );
    await database.db
      .update(reservations)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(reservations.orderId, orderId));
    while ((await sweepExpiredReservations(database.db, 100, topology)) > 0);
    expect(summary(await eventsOf(sagaId))).toEqual([
      'stock.reserved#stock:1@v1',
      'stock.expired#stock:2@v1',
    ]);
  });
});
