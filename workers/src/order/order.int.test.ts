// Integration tests of the order worker's rules: create once per saga, confirm or cancel (never both), events.
import { randomUUID } from 'node:crypto';
import { orders } from '@sagaport/db';
import { eq } from 'drizzle-orm';
import type postgres from 'postgres';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandBatchProcessor, createCommandProcessor } from '../runtime/command-handler.js';
import { delivery, orderCreate } from '../test-support/commands.js';
import {
  createWorkerTestDatabase,
  outboxOf,
  recordingClient,
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

  describe('a batch of commands in one transaction', () => {
    /** The statements each batch sent, as postgres.js saw them. */
    let statements: string[];
    let sql: postgres.Sql;
    let processBatch: ReturnType<typeof createCommandBatchProcessor>;
    beforeAll(() => {
      ({ sql, statements } = recordingClient(database.url));
      processBatch = createCommandBatchProcessor({
        worker: 'order',
        sql,
        topology,
        handlers: orderHandlers,
        claim: 'with-replies', // as the order worker runs
      });
    });
    afterAll(async () => {
      await sql.end();
    });
    const inserts = () => statements.filter((q) => /insert into orders\.orders/.test(q)).length;
    const updates = () => statements.filter((q) => /update orders\.orders/.test(q)).length;
    /** Each command's reply in brief: `ok <result JSON>` or `failed <code>`. */
    const repliesOf = (
      outcome: Awaited<ReturnType<typeof processBatch>>,
      commands: { messageId: string }[],
    ) =>
      commands.map(({ messageId }) => {
        const reply = outcome.processed.find((p) => p.command.messageId === messageId)?.outcome.reply
          ?.payload as { outcome: string; result?: unknown; reason?: { code: string } } | undefined;
        return reply?.outcome === 'succeeded'
          ? `ok ${JSON.stringify(reply.result)}`
          : `failed ${reply?.reason?.code}`;
      });

    it('creates the batch orders with one statement, each as if alone: a second create of a saga finds its order, a taken id is refused', async () => {
      const taken = await created();
      const sagaA = randomUUID();
      const sagaB = randomUUID();
      const a = orderCreate();
      const b = orderCreate();
      const commands = [
        delivery('order.create', a, { sagaId: sagaA }),
        delivery('order.create', b, { sagaId: sagaB }),
        delivery('order.create', a, { sagaId: sagaA }), // a resend, with a message id of its own
        delivery('order.create', orderCreate(taken.orderId)),
      ];
      statements.length = 0;
      const outcome = await processBatch(commands);
      expect(inserts()).toBe(1);
      expect(outcome.rejected).toEqual([]);
      expect(repliesOf(outcome, commands)).toEqual([
        `ok {"orderId":"${a.orderId}"}`,
        `ok {"orderId":"${b.orderId}"}`,
        `ok {"orderId":"${a.orderId}"}`,
        'failed order_exists',
      ]);
      for (const sagaId of [sagaA, sagaB]) {
        expect(await database.db.select().from(orders).where(eq(orders.sagaId, sagaId))).toHaveLength(1);
      }
      // The refused create raised no event.
      const refused = commands[3]!.correlationId!;
      expect((await outboxOf(database.db, refused)).filter((r) => r.messageType === 'order.placed')).toEqual(
        [],
      );
    });

    it('confirms the batch orders with one statement; a second confirm of an order raises no second event', async () => {
      const first = await created();
      const second = await created();
      const cancelled = await created();
      await processCommand(delivery('order.cancel', { orderId: cancelled.orderId, reason: 'timeout' }));
      const commands = [
        delivery('order.confirm', { orderId: first.orderId }, { sagaId: first.sagaId }),
        delivery('order.confirm', { orderId: second.orderId }, { sagaId: second.sagaId }),
        // The same order again, its id in capitals (a valid uuid all the same).
        delivery('order.confirm', { orderId: first.orderId.toUpperCase() }, { sagaId: first.sagaId }),
        delivery('order.confirm', { orderId: cancelled.orderId }, { sagaId: cancelled.sagaId }),
        delivery('order.confirm', { orderId: randomUUID() }),
      ];
      statements.length = 0;
      const outcome = await processBatch(commands);
      expect(updates()).toBe(1);
      expect(repliesOf(outcome, commands)).toEqual([
        'ok {}',
        'ok {}',
        'ok {}',
        'failed order_cancelled',
        'failed order_not_found',
      ]);
      expect((await orderRow(first.orderId))?.status).toBe('confirmed');
      expect((await orderRow(second.orderId))?.status).toBe('confirmed');
      expect((await orderRow(cancelled.orderId))?.status).toBe('cancelled');
      const confirmedEvents = async (sagaId: string) =>
        (await outboxOf(database.db, sagaId)).filter((r) => r.messageType === 'order.confirmed').length;
      expect(await confirmedEvents(first.sagaId)).toBe(1);
      expect(await confirmedEvents(second.sagaId)).toBe(1);
      expect(await confirmedEvents(cancelled.sagaId)).toBe(0);
    });
  });
});
