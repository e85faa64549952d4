import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutBody, postCheckout } from './client.js';
import { checkConsistency } from './consistency.js';
import { System, type ManagedProcess } from './harness.js';

const catalogue = [
  { sku: 'SKU-001', priceCents: 1_250, available: 50 },
  { sku: 'SKU-002', priceCents: 400, available: 3 },
];
const initialStock = new Map(catalogue.map((p) => [p.sku, p.available]));

describe('the checkout saga end to end (real processes, broker and database)', () => {
  let system: System;
  let api: ManagedProcess;
  beforeAll(async () => {
    system = await System.create({ catalogue });
    api = await system.startOrchestrator();
    await system.startWorkers();
  });
  afterAll(async () => {
    await system?.stop();
  });

  const row = async <T>(query: Promise<T[]>) => (await query)[0];

  it('completes a checkout: order confirmed, stock taken, card charged once, shipment scheduled', async () => {
    const answer = await postCheckout(api.port, checkoutBody({ items: [{ sku: 'SKU-001', quantity: 2 }] }), {
      waitSeconds: 20,
    });
    expect(answer).toMatchObject({ httpStatus: 200, status: 'completed', reason: null });
    const { sql } = system.database;
    const saga = await row(
      sql<{ order_id: string }[]>`select order_id from saga.instances where id = ${answer.sagaId}`,
    );
    expect(
      await row(sql`select status, total_cents from orders.orders where id = ${saga!.order_id}`),
    ).toEqual({
      status: 'confirmed',
      total_cents: 2_500,
    });
    expect(await sql`select amount_cents from payments.charges where saga_id = ${answer.sagaId}`).toEqual([
      { amount_cents: 2_500 },
    ]);
    expect(await sql`select status from shipping.shipments where saga_id = ${answer.sagaId}`).toEqual([
      { status: 'scheduled' },
    ]);
    expect(await row(sql`select available from inventory.products where sku = 'SKU-001'`)).toEqual({
      available: 48,
    });
    const events = await sql<
      { kind: string }[]
    >`select kind from saga.events where saga_id = ${answer.sagaId} order by id`;
    expect(events.filter((e) => e.kind === 'command.sent')).toHaveLength(5);
    expect(events.at(-1)).toEqual({ kind: 'saga.completed' });
  });

  it('compensates an out-of-stock order: nothing reserved, nothing charged, order cancelled', async () => {
    const answer = await postCheckout(api.port, checkoutBody({ items: [{ sku: 'SKU-002', quantity: 4 }] }), {
      waitSeconds: 20,
    });
    expect(answer).toMatchObject({ status: 'compensated', reason: { code: 'out_of_stock' } });
    const { sql } = system.database;
    expect(await row(sql`select available from inventory.products where sku = 'SKU-002'`)).toEqual({
      available: 3,
    });
    expect(await sql`select 1 from payments.charges where saga_id = ${answer.sagaId}`).toHaveLength(0);
    expect(
      await row(
        sql`select o.status from orders.orders o join saga.instances s on s.order_id = o.id where s.id = ${answer.sagaId}`,
      ),
    ).toEqual({ status: 'cancelled' });
  });

  it('compensates a declined card: stock restored, never charged, order cancelled', async () => {
    const answer = await postCheckout(
      api.port,
      checkoutBody({ items: [{ sku: 'SKU-002', quantity: 2 }], paymentToken: 'tok_declined' }),
      { waitSeconds: 20 },
    );
    expect(answer).toMatchObject({ status: 'compensated', reason: { code: 'card_declined' } });
    const { sql } = system.database;
    expect(await row(sql`select available from inventory.products where sku = 'SKU-002'`)).toEqual({
      available: 3,
    });
    expect(await sql`select 1 from payments.charges where saga_id = ${answer.sagaId}`).toHaveLength(0);
    expect(
      await row(
        sql`select r.status from inventory.reservations r join saga.instances s on s.order_id = r.order_id where s.id = ${answer.sagaId}`,
      ),
    ).toEqual({ status: 'released' });
  });

  it('compensates an unserved country: payment refunded, stock restored, order cancelled', async () => {
    const body = checkoutBody({ items: [{ sku: 'SKU-001', quantity: 1 }] });
    body.shippingAddress.country = 'US';
    const answer = await postCheckout(api.port, body, { waitSeconds: 20 });
    expect(answer).toMatchObject({ status: 'compensated', reason: { code: 'country_not_served' } });
    const { sql } = system.database;
    expect(await sql`select amount_cents from payments.charges where saga_id = ${answer.sagaId}`).toEqual([
      { amount_cents: 1_250 },
    ]);
    expect(await sql`select amount_cents from payments.refunds where saga_id = ${answer.sagaId}`).toEqual([
      { amount_cents: 1_250 },
    ]);
    const kinds = (
      await sql<{ message_type: string }[]>`
      select message_type from saga.events where saga_id = ${answer.sagaId} and kind = 'command.sent' order by id`
    ).map((e) => e.message_type);
    expect(kinds).toEqual([
      'order.create',
      'inventory.reserve',
      'payment.charge',
      'shipping.schedule',
      'payment.refund',
      'inventory.release',
      'order.cancel',
    ]);
  });

  it('leaves the books straight after all of the above', async () => {
    await new Promise((r) => setTimeout(r, 500)); // order.confirmed events reach the inventory
    const report = await checkConsistency(system.database, initialStock);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ running: 0, completed: 1, compensated: 3, failed: 0 });
  });
});
