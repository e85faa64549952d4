// End-to-end tests on the real broker: duplicates change state once, 50 racing holds never oversell, 503s dead-letter.
import { randomUUID } from 'node:crypto';
import { charges, orders, outbox, refunds, reservations, shipments, type OutboxMessage } from '@sagaport/db';
import { buildMessage, ConfirmPublisher, type CommandPayload, type CommandType } from '@sagaport/rabbitmq';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PaymentTestToken } from './payment/provider.js';
import { address, availableStock, orderCreate, stockProducts } from './test-support/commands.js';
import { outboxOf } from './test-support/database.js';
import { eventually, startTestWorkers, type TestWorkers } from './test-support/harness.js';

describe('workers on a real broker', () => {
  let harness: TestWorkers;

  beforeAll(async () => {
    harness = await startTestWorkers({ poolMax: 20 });
  });
  afterAll(async () => {
    await harness?.cleanup();
  });

  const db = () => harness.database.db;
  const repliesOf = async (sagaId: string, type: string) =>
    (await outboxOf(db(), sagaId)).filter((row) => row.messageType === `${type}.reply`);

  /** Publishes the command twice with the same message id and waits for both replies. */
  async function deliverTwice<T extends CommandType>(type: T, payload: CommandPayload<T>, sagaId: string) {
    const message = await harness.send(type, payload, { sagaId });
    await harness.resend(message);
    await eventually(`two ${type} replies`, async () => (await repliesOf(sagaId, type)).length === 2);
    const [first, second] = await repliesOf(sagaId, type);
    return { first: first!, second: second! };
  }

  it('applies every command delivered twice once, and sends the same reply (same message id) both times', async () => {
    await stockProducts(db(), { 'DUP-1': 20 });
    const sagaId = randomUUID();
    const order = { ...orderCreate(), items: [{ sku: 'DUP-1', quantity: 3, unitPriceCents: 500 }] };
    const { orderId } = order;
    const lines = [{ sku: 'DUP-1', quantity: 3 }];
    const steps = [
      await deliverTwice('order.create', order, sagaId),
      await deliverTwice('inventory.reserve', { orderId, items: lines }, sagaId),
      await deliverTwice(
        'payment.charge',
        { orderId, amountCents: 1_500, currency: 'EUR', paymentToken: PaymentTestToken.visa },
        sagaId,
      ),
      await deliverTwice('shipping.schedule', { orderId, address, items: lines }, sagaId),
    ];
    expect((await availableStock(db()))['DUP-1']).toBe(17); // decremented once

    steps.push(
      await deliverTwice('shipping.cancel', { orderId }, sagaId),
      await deliverTwice('payment.refund', { orderId, amountCents: 1_500, currency: 'EUR' }, sagaId),
      await deliverTwice('inventory.release', { orderId }, sagaId),
      await deliverTwice('order.cancel', { orderId, reason: 'duplicate test' }, sagaId),
    );
    for (const { first, second } of steps) {
      expect(first.payload).toMatchObject({ outcome: 'succeeded' });
      expect(second.messageId).toBe(first.messageId);
      expect(second.payload).toEqual(first.payload);
    }

    const count = async (rows: Promise<unknown[]>) => (await rows).length;
    expect(await count(db().select().from(orders).where(eq(orders.sagaId, sagaId)))).toBe(1);
    expect(await count(db().select().from(reservations).where(eq(reservations.sagaId, sagaId)))).toBe(1);
    expect(await count(db().select().from(charges).where(eq(charges.sagaId, sagaId)))).toBe(1);
    expect(await count(db().select().from(shipments).where(eq(shipments.sagaId, sagaId)))).toBe(1);
    expect(await count(db().select().from(refunds).where(eq(refunds.sagaId, sagaId)))).toBe(1);
    expect((await availableStock(db()))['DUP-1']).toBe(20); // restored once
    const events = (await outboxOf(db(), sagaId)).filter((row) => !row.messageType.endsWith('.reply'));
    // Each change raised its event once, the duplicates none.
    expect(events.map((e) => e.messageType)).toEqual([
      'order.placed',
      'stock.reserved',
      'payment.charged',
      'shipment.scheduled',
      'shipment.cancelled',
      'payment.refunded',
      'stock.released',
      'order.cancelled',
    ]);
  });

  it('lets exactly 10 of 50 concurrent holds on 10 units succeed; stock ends at 0, never below', async () => {
    await stockProducts(db(), { 'RACE-1': 10 });
    const sagas = Array.from({ length: 50 }, () => randomUUID());
    await Promise.all(
      sagas.map((sagaId) =>
        harness.send(
          'inventory.reserve',
          { orderId: randomUUID(), items: [{ sku: 'RACE-1', quantity: 1 }] },
          { sagaId },
        ),
      ),
    );
    const replies = async () =>
      db()
        .select()
        .from(outbox)
        .where(
          and(eq(outbox.messageType, 'inventory.reserve.reply'), sql`${outbox.correlationId} in ${sagas}`),
        );
    await eventually('50 reserve replies', async () => (await replies()).length === 50, 60_000);

    const outcomes = (await replies()).map((row) => (row.payload as { outcome: string }).outcome);
    expect(outcomes.filter((o) => o === 'succeeded')).toHaveLength(10);
    expect(outcomes.filter((o) => o === 'failed')).toHaveLength(40);
    expect((await availableStock(db()))['RACE-1']).toBe(0);
    const failed = (await replies()).find((row) => (row.payload as { outcome: string }).outcome === 'failed');
    expect(failed?.payload).toMatchObject({ reason: { code: 'out_of_stock' } });
  });

  it('retries a charge the provider answers with 503, then dead-letters it: no charge, no reply', async () => {
    const sagaId = randomUUID();
    const queue = harness.topology.queues.commands.payment;
    await harness.send(
      'payment.charge',
      {
        orderId: randomUUID(),
        amountCents: 100,
        currency: 'EUR',
        paymentToken: PaymentTestToken.unavailable,
      },
      { sagaId },
    );
    await eventually(
      'the charge in the payment DLQ',
      async () => (await harness.depth(`${queue}.dlq`)) === 1,
    );
    expect(await db().select().from(charges).where(eq(charges.sagaId, sagaId))).toEqual([]);
    expect(await outboxOf(db(), sagaId)).toEqual([]);
    const metrics = await harness.registry.metrics();
    expect(metrics).toMatch(
      new RegExp(
        `sagaport_messages_consumed_total\\{queue="${queue}",type="payment.charge",outcome="retried"\\} 2`,
      ),
    );
  });

  it('routes order.confirmed from the outbox to the inventory, which commits the hold', async () => {
    await stockProducts(db(), { 'EVT-1': 5 });
    const sagaId = randomUUID();
    const order = orderCreate();
    // One step at a time, as the orchestrator sends them: each after the previous reply.
    const step = async <T extends CommandType>(type: T, payload: CommandPayload<T>) => {
      await harness.send(type, payload, { sagaId });
      await eventually(`the ${type} reply`, async () => (await repliesOf(sagaId, type)).length === 1);
      expect((await repliesOf(sagaId, type))[0]?.payload).toMatchObject({ outcome: 'succeeded' });
    };
    await step('order.create', order);
    await step('inventory.reserve', { orderId: order.orderId, items: [{ sku: 'EVT-1', quantity: 2 }] });
    await step('order.confirm', { orderId: order.orderId });
    const confirmedEvent = async () =>
      db()
        .select()
        .from(outbox)
        .where(and(eq(outbox.correlationId, sagaId), eq(outbox.messageType, 'order.confirmed')));
    expect(await confirmedEvent()).toHaveLength(1);

    await relay(harness, (await confirmedEvent())[0]!);
    await eventually('the hold committed', async () => {
      const [hold] = await db().select().from(reservations).where(eq(reservations.orderId, order.orderId));
      return hold?.status === 'committed';
    });
  });
});

/** Publishes an outbox row as the orchestrator's relay would (the relay does not run in these tests). */
async function relay(harness: TestWorkers, row: OutboxMessage): Promise<void> {
  const publisher = new ConfirmPublisher(harness.connection, { name: 'test-relay' });
  try {
    await publisher.publish(
      buildMessage({
        exchange: row.exchange,
        routingKey: row.routingKey,
        type: row.messageType,
        payload: row.payload,
        messageId: row.messageId,
        correlationId: row.correlationId ?? undefined,
        headers: row.headers,
      }),
    );
  } finally {
    await publisher.close();
  }
}
