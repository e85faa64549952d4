// Integration tests of the order worker's rules: create once per saga, confirm or cancel (never both), events.
import { randomUUID } from 'node:crypto';
import { orders } from '@sagaport/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandProcessor } from '../runtime/command-handler.js';
import { delivery, orderCreate } from '../test-support/commands.js';
import {
  createWorkerTestDatabase,
  outboxOf,
  undeclaredTopology,
  type WorkerTestDatabase,
} from '../test-support/database.js';
import { orderHandlers } from './handler.js';

describe('order worker', () => {
  let database: WorkerTestDatabase;
  let processCommand: ReturnType<typeof createCommandProcessor>;
  const topology = undeclaredTopology();

  beforeAll(async () => {
    database = await createWorkerTestDatabase();
    processCommand = createCommandProcessor({
      worker: 'order',
      sql: database.sql,
      topology,
      handlers: orderHandlers,
    });
  });
  afterAll(async () => {
    await database?.dispose();
  });

  const orderRow = async (orderId: string) =>
    (await database.db.select().from(orders).where(eq(orders.id, orderId)))[0];
  const created = async () => {
    const sagaId = randomUUID();
    const payload = orderCreate();
    await processCommand(delivery('order.create', payload, { sagaId }));
    return { sagaId, orderId: payload.orderId };
  };

  it('creates the order once per saga, even from a second create message', async () => {
    const sagaId = randomUUID();
    const payload = orderCreate();
    const first = await processCommand(delivery('order.create', payload, { sagaId }));
    const second = await processCommand(delivery('order.create', payload, { sagaId }));
    expect(first.reply?.payload).toEqual({ outcome: 'succeeded', result: { orderId: payload.orderId } });
    expect(second.reply?.payload).toEqual(first.reply?.payload);
    const rows = await database.db.select().from(orders).where(eq(orders.sagaId, sagaId));
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({ status: 'created', totalCents: 900, currency: 'EUR' });
  });

  it('refuses an order id that another saga already uses', async () => {
    const { orderId } = await created();
    const outcome = await processCommand(delivery('order.create', orderCreate(orderId)));
    expect(outcome.reply?.payload).toMatchObject({ outcome: 'failed', reason: { code: 'order_exists' } });
  });

  it('confirms an order and raises order.confirmed once', async () => {
    const { sagaId, orderId } = await created();
    await processCommand(delivery('order.confirm', { orderId }, { sagaId }));
    const again = await processCommand(delivery('order.confirm', { orderId }, { sagaId }));
    expect(again.reply?.payload).toEqual({ outcome: 'succeeded', result: {} });
    expect((await orderRow(orderId))?.status).toBe('confirmed');
    const events = (await outboxOf(database.db, sagaId)).filter((r) => r.messageType === 'order.confirmed');
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      exchange: topology.exchanges.events,
      routingKey: 'order.confirmed',
      payload: { orderId },
    });
  });

  it('cancels with the reason and raises order.cancelled; a missing order needs no cancelling', async () => {
    const { sagaId, orderId } = await created();
    const outcome = await processCommand(
      delivery('order.cancel', { orderId, reason: 'card declined' }, { sagaId }),
    );
    expect(outcome.reply?.payload).toEqual({ outcome: 'succeeded', result: {} });
    expect(await orderRow(orderId)).toMatchObject({ status: 'cancelled', cancelReason: 'card declined' });
    const events = (await outboxOf(database.db, sagaId)).filter((r) => r.messageType === 'order.cancelled');
    expect(events.map((e) => e.payload)).toEqual([{ orderId, reason: 'card declined' }]);

    const missing = await processCommand(delivery('order.cancel', { orderId: randomUUID(), reason: 'x' }));
    expect(missing.reply?.payload).toEqual({ outcome: 'succeeded', result: {} });
  });

  it('refuses to confirm a cancelled order, and to cancel a confirmed one', async () => {
    const cancelled = await created();
    await processCommand(delivery('order.cancel', { orderId: cancelled.orderId, reason: 'timeout' }));
    const confirm = await processCommand(delivery('order.confirm', { orderId: cancelled.orderId }));
    expect(confirm.reply?.payload).toMatchObject({ outcome: 'failed', reason: { code: 'order_cancelled' } });
    expect((await orderRow(cancelled.orderId))?.status).toBe('cancelled');

    const confirmed = await created();
    await processCommand(delivery('order.confirm', { orderId: confirmed.orderId }));
    const cancel = await processCommand(
      delivery('order.cancel', { orderId: confirmed.orderId, reason: 'late' }),
    );
    expect(cancel.reply?.payload).toMatchObject({ outcome: 'failed', reason: { code: 'order_confirmed' } });
    expect((await orderRow(confirmed.orderId))?.status).toBe('confirmed');
  });

  it('refuses to confirm an order that does not exist', async () => {
    const outcome = await processCommand(delivery('order.confirm', { orderId: randomUUID() }));
    expect(outcome.reply?.payload).toMatchObject({ outcome: 'failed', reason: { code: 'order_not_found' } });
  });
});
