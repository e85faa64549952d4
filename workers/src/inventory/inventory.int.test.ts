// Integration tests of the inventory's rules: all-or-nothing holds, never below zero, release, commit, expiry.
import { randomUUID } from 'node:crypto';
import { products, reservations } from '@sagaport/db';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCommandProcessor } from '../runtime/command-handler.js';
import { availableStock, delivery, reserve, stockProducts } from '../test-support/commands.js';
import {
  createWorkerTestDatabase,
  outboxOf,
  recordingClient,
  undeclaredTopology,
  type WorkerTestDatabase,
} from '../test-support/database.js';
import { demoCatalogue, seedCatalogue } from './catalogue.js';
import { inventoryHandlers } from './handler.js';
import { createOrderEventHandler } from './order-events.js';
import { sweepExpiredReservations } from './sweeper.js';

describe('inventory worker', () => {
  let database: WorkerTestDatabase;
  let processCommand: ReturnType<typeof createCommandProcessor>;
  let onOrderEvent: ReturnType<typeof createOrderEventHandler>;

  beforeAll(async () => {
    database = await createWorkerTestDatabase();
    processCommand = createCommandProcessor({
      worker: 'inventory',
      sql: database.sql,
      topology: undeclaredTopology(),
      handlers: inventoryHandlers({ reservationTtlSeconds: 900 }),
    });
    onOrderEvent = createOrderEventHandler(database.sql);
  });
  afterAll(async () => {
    await database?.dispose();
  });

  const reservationOf = async (orderId: string) =>
    (await database.db.select().from(reservations).where(eq(reservations.orderId, orderId)))[0];
  const expire = (orderId: string) =>
    database.db
      .update(reservations)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(reservations.orderId, orderId));
  const confirmed = (orderId: string) => ({
    messageId: randomUUID(),
    type: 'order.confirmed',
    correlationId: randomUUID(),
    payload: { orderId },
  });

  it('holds every line and replies with the reservation and its expiry', async () => {
    await stockProducts(database.db, { 'HOLD-A': 10, 'HOLD-B': 10 });
    const payload = reserve([
      { sku: 'HOLD-A', quantity: 3 },
      { sku: 'HOLD-B', quantity: 1 },
      { sku: 'HOLD-A', quantity: 2 },
    ]);
    const before = Date.now();
    const outcome = await processCommand(delivery('inventory.reserve', payload));
    const reservation = await reservationOf(payload.orderId);
    expect(reservation?.status).toBe('held');
    expect(outcome.reply?.payload).toEqual({
      outcome: 'succeeded',
      result: { reservationId: reservation!.id, expiresAt: reservation!.expiresAt.toISOString() },
    });
    expect(reservation!.expiresAt.getTime() - before).toBeGreaterThan(899_000);
    expect(await availableStock(database.db)).toMatchObject({ 'HOLD-A': 5, 'HOLD-B': 9 });
  });

  it('is all or nothing: a line out of stock undoes the lines before it, and stock never goes below zero', async () => {
    await stockProducts(database.db, { 'AON-A': 5, 'AON-B': 2 });
    const payload = reserve([
      { sku: 'AON-A', quantity: 4 },
      { sku: 'AON-B', quantity: 3 },
    ]);
    const outcome = await processCommand(delivery('inventory.reserve', payload));
    expect(outcome.reply?.payload).toMatchObject({
      outcome: 'failed',
      reason: { code: 'out_of_stock', message: expect.stringContaining('AON-B') as string },
    });
    expect(await availableStock(database.db)).toMatchObject({ 'AON-A': 5, 'AON-B': 2 });
    expect(await reservationOf(payload.orderId)).toBeUndefined();
  });

  it('refuses a sku the catalogue does not have', async () => {
    await stockProducts(database.db, { 'KNOWN-1': 5 });
    const payload = reserve([
      { sku: 'KNOWN-1', quantity: 1 },
      { sku: 'NO-SUCH-SKU', quantity: 1 },
    ]);
    const outcome = await processCommand(delivery('inventory.reserve', payload));
    expect(outcome.reply?.payload).toMatchObject({
      outcome: 'failed',
      reason: { code: 'unknown_sku', message: expect.stringContaining('NO-SUCH-SKU') as string },
    });
    expect((await availableStock(database.db))['KNOWN-1']).toBe(5);
  });

  it('takes an order’s stock once, however many reserve messages it sends', async () => {
    await stockProducts(database.db, { 'ONCE-1': 10 });
    const payload = reserve([{ sku: 'ONCE-1', quantity: 4 }]);
    const first = await processCommand(delivery('inventory.reserve', payload));
    const second = await processCommand(delivery('inventory.reserve', payload));
    expect(second.reply?.payload).toEqual(first.reply?.payload);
    expect((await availableStock(database.db))['ONCE-1']).toBe(6);
  });

  it('releases a held reservation once, restoring its stock', async () => {
    await stockProducts(database.db, { 'REL-1': 10 });
    const payload = reserve([{ sku: 'REL-1', quantity: 7 }]);
    await processCommand(delivery('inventory.reserve', payload));
    for (let i = 0; i < 2; i++) {
      const outcome = await processCommand(delivery('inventory.release', { orderId: payload.orderId }));
      expect(outcome.reply?.payload).toEqual({ outcome: 'succeeded', result: {} });
    }
    expect((await availableStock(database.db))['REL-1']).toBe(10);
    expect((await reservationOf(payload.orderId))?.status).toBe('released');
    const missing = await processCommand(delivery('inventory.release', { orderId: randomUUID() }));
    expect(missing.reply?.payload).toEqual({ outcome: 'succeeded', result: {} });
  });

  it('commits the hold on order.confirmed (once per event), and release then leaves the sold stock alone', async () => {
    await stockProducts(database.db, { 'COMMIT-1': 10 });
    const payload = reserve([{ sku: 'COMMIT-1', quantity: 3 }]);
    await processCommand(delivery('inventory.reserve', payload));
    const event = confirmed(payload.orderId);
    await onOrderEvent([event]);
    await onOrderEvent([event]);
    expect((await reservationOf(payload.orderId))?.status).toBe('committed');
    await processCommand(delivery('inventory.release', { orderId: payload.orderId }));
    expect((await reservationOf(payload.orderId))?.status).toBe('committed');
    expect((await availableStock(database.db))['COMMIT-1']).toBe(7);
  });

  it('commits the holds of a batch of order.confirmed events together, and raises stock.committed for those it committed only', async () => {
    const { sql: client, statements } = recordingClient(database.url);
    const withEvents = createOrderEventHandler(client, undefined, undeclaredTopology());
    await stockProducts(database.db, { 'BATCH-1': 10 });
    const held = [reserve([{ sku: 'BATCH-1', quantity: 1 }]), reserve([{ sku: 'BATCH-1', quantity: 2 }])];
    const released = reserve([{ sku: 'BATCH-1', quantity: 1 }]);
    for (const payload of [...held, released]) await processCommand(delivery('inventory.reserve', payload));
    await processCommand(delivery('inventory.release', { orderId: released.orderId }));
    const events = [
      confirmed(held[0]!.orderId),
      confirmed(released.orderId),
      confirmed(randomUUID()), // no reservation at all
      confirmed(held[1]!.orderId),
    ];
    try {
      await withEvents(events);
    } finally {
      await client.end();
    }
    expect(statements.filter((q) => /update inventory\.reservations/.test(q))).toHaveLength(1);
    expect((await reservationOf(held[0]!.orderId))?.status).toBe('committed');
    expect((await reservationOf(held[1]!.orderId))?.status).toBe('committed');
    expect((await reservationOf(released.orderId))?.status).toBe('released');
    const committedEvents = async (sagaId: string) =>
      (await outboxOf(database.db, sagaId)).filter((r) => r.messageType === 'stock.committed');
    const raised = await Promise.all(events.map((e) => committedEvents(e.correlationId)));
    expect(raised.map((rows) => rows.map((r) => r.payload))).toEqual([
      [{ orderId: held[0]!.orderId }],
      [],
      [],
      [{ orderId: held[1]!.orderId }],
    ]);
    // The sold stock stays sold: 10 - 1 - 2 held and committed, the released unit back.
    expect((await availableStock(database.db))['BATCH-1']).toBe(7);
  });

  it('ignores order.cancelled (the saga releases by command)', async () => {
    await stockProducts(database.db, { 'CANC-1': 10 });
    const payload = reserve([{ sku: 'CANC-1', quantity: 3 }]);
    await processCommand(delivery('inventory.reserve', payload));
    await onOrderEvent([{ ...confirmed(payload.orderId), type: 'order.cancelled' }]);
    expect((await reservationOf(payload.orderId))?.status).toBe('held');
  });

  it('sweeps an expired hold back into stock, but never a committed one or one not yet expired', async () => {
    await stockProducts(database.db, { 'SWEEP-1': 10 });
    const expired = reserve([{ sku: 'SWEEP-1', quantity: 2 }]);
    const sold = reserve([{ sku: 'SWEEP-1', quantity: 3 }]);
    const fresh = reserve([{ sku: 'SWEEP-1', quantity: 4 }]);
    for (const payload of [expired, sold, fresh])
      await processCommand(delivery('inventory.reserve', payload));
    await onOrderEvent([confirmed(sold.orderId)]);
    await expire(expired.orderId);
    await expire(sold.orderId);
    expect((await availableStock(database.db))['SWEEP-1']).toBe(1);

    // Two sweepers at once (SKIP LOCKED): the hold is released by one of them, once.
    const released = await Promise.all([
      sweepExpiredReservations(database.db),
      sweepExpiredReservations(database.db),
    ]);
    expect(released[0] + released[1]).toBe(1);
    expect(await sweepExpiredReservations(database.db)).toBe(0);

    expect((await reservationOf(expired.orderId))?.status).toBe('released');
    expect((await reservationOf(sold.orderId))?.status).toBe('committed');
    expect((await reservationOf(fresh.orderId))?.status).toBe('held');
    expect((await availableStock(database.db))['SWEEP-1']).toBe(3);
  });

  it('seeds the demo catalogue only into an empty catalogue', async () => {
    expect(await seedCatalogue(database.db)).toBe(0); // earlier tests stocked products
    await database.db.delete(products);
    expect(await seedCatalogue(database.db)).toBe(demoCatalogue.length);
    expect(await seedCatalogue(database.db)).toBe(0);
    const stock = await availableStock(database.db);
    expect(Object.keys(stock)).toHaveLength(demoCatalogue.length);
    expect(stock['SKU-001']).toBe(1000);
    expect(demoCatalogue.every((p) => /^[A-Z0-9][A-Z0-9-]{1,39}$/.test(p.sku))).toBe(true);
  });
});
