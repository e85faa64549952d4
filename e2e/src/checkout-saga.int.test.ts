import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutBody, postCheckout, type CheckoutBody } from './client.js';
import { sagaOutcomes, settledBooks } from './consistency.js';
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
  const available = async (sku: string) =>
    (await row(system.database.sql<{ available: number }[]>`
      select available from inventory.products where sku = ${sku}`))!.available;
  /** The saga's order, hold and shipment as the workers left them. */
  const effectsOf = async (sagaId: string) => {
    const { sql } = system.database;
    const [saga] = await sql<
      { order_id: string }[]
    >`select business_keys ->> 'orderId' as order_id from saga.instances where id = ${sagaId}`;
    return {
      order: await row(sql`select status from orders.orders where id = ${saga!.order_id}`),
      holds: await sql`select status from inventory.reservations where order_id = ${saga!.order_id}`,
      shipments: await sql`select status from shipping.shipments where saga_id = ${sagaId}`,
      charges: await sql`select amount_cents from payments.charges where saga_id = ${sagaId}`,
      refunds: await sql`select amount_cents from payments.refunds where saga_id = ${sagaId}`,
      // The provider's own record: every call it answered for this saga, repeats included.
      providerCalls: await sql`
        select operation, status, amount_cents from payments.provider_calls
        where idempotency_key = ${sagaId} order by id`,
    };
  };
  /** Every saga so far ended with exactly its effects, and stock and money add up. */
  const expectBooksStraight = async () => {
    const report = await settledBooks(system, initialStock);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ running: 0, failed: 0 });
  };

  it('completes a checkout: order confirmed, stock taken, card charged once, shipment scheduled', async () => {
    const before = await available('SKU-001');
    const answer = await postCheckout(api.port, checkoutBody({ items: [{ sku: 'SKU-001', quantity: 2 }] }), {
      waitSeconds: 20,
    });
    expect(answer).toMatchObject({ httpStatus: 200, status: 'completed', reason: null });
    const { sql } = system.database;
    const saga = await row(
      sql<
        { order_id: string }[]
      >`select business_keys ->> 'orderId' as order_id from saga.instances where id = ${answer.sagaId}`,
    );
    expect(
      await row(sql`select status, total_cents from orders.orders where id = ${saga!.order_id}`),
    ).toEqual({
      status: 'confirmed',
      total_cents: 2_500,
    });
    expect(await available('SKU-001')).toBe(before - 2);
    const events = await sql<
      { kind: string }[]
    >`select kind from saga.events where saga_id = ${answer.sagaId} order by id`;
    expect(events.filter((e) => e.kind === 'command.sent')).toHaveLength(5);
    expect(events.at(-1)).toEqual({ kind: 'saga.completed' });

    await expectBooksStraight();
    expect(await effectsOf(answer.sagaId)).toEqual({
      order: { status: 'confirmed' },
      holds: [{ status: 'committed' }], // the inventory consumed order.confirmed: the stock is sold
      shipments: [{ status: 'scheduled' }],
      charges: [{ amount_cents: 2_500 }],
      refunds: [],
      providerCalls: [{ operation: 'charge', status: 201, amount_cents: 2_500 }],
    });
  });

  it('compensates an out-of-stock order: nothing reserved, nothing charged, order cancelled', async () => {
    const answer = await postCheckout(api.port, checkoutBody({ items: [{ sku: 'SKU-002', quantity: 4 }] }), {
      waitSeconds: 20,
    });
    expect(answer).toMatchObject({ status: 'compensated', reason: { code: 'out_of_stock' } });
    expect(await available('SKU-002')).toBe(3);
    await expectBooksStraight();
    expect(await effectsOf(answer.sagaId)).toEqual({
      order: { status: 'cancelled' },
      holds: [],
      shipments: [],
      charges: [],
      refunds: [],
      providerCalls: [], // the saga never got as far as the payment
    });
  });

  it('compensates a declined card: stock restored, never charged, order cancelled', async () => {
    const answer = await postCheckout(
      api.port,
      checkoutBody({ items: [{ sku: 'SKU-002', quantity: 2 }], paymentToken: 'tok_declined' }),
      { waitSeconds: 20 },
    );
    expect(answer).toMatchObject({ status: 'compensated', reason: { code: 'card_declined' } });
    expect(await available('SKU-002')).toBe(3);
    await expectBooksStraight();
    expect(await effectsOf(answer.sagaId)).toEqual({
      order: { status: 'cancelled' },
      holds: [{ status: 'released' }],
      shipments: [],
      charges: [],
      refunds: [],
      providerCalls: [{ operation: 'charge', status: 402, amount_cents: 800 }], // asked once, refused
    });
  });

  it('compensates an unserved country: payment refunded, stock restored, order cancelled', async () => {
    const before = await available('SKU-001');
    const body = checkoutBody({ items: [{ sku: 'SKU-001', quantity: 1 }] });
    body.shippingAddress.country = 'US';
    const answer = await postCheckout(api.port, body, { waitSeconds: 20 });
    expect(answer).toMatchObject({ status: 'compensated', reason: { code: 'country_not_served' } });
    expect(await available('SKU-001')).toBe(before);
    const { sql } = system.database;
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
    await expectBooksStraight();
    expect(await effectsOf(answer.sagaId)).toEqual({
      order: { status: 'cancelled' },
      holds: [{ status: 'released' }],
      shipments: [], // refused: nothing was scheduled
      charges: [{ amount_cents: 1_250 }],
      refunds: [{ amount_cents: 1_250 }],
      providerCalls: [
        { operation: 'charge', status: 201, amount_cents: 1_250 },
        { operation: 'refund', status: 201, amount_cents: 1_250 },
      ],
    });
  });

  it('answers a waiting client with exactly what GET /checkouts/{id} reads, completed or compensated', async () => {
    const served = checkoutBody({ items: [{ sku: 'SKU-001', quantity: 1 }] });
    const unserved = checkoutBody({ items: [{ sku: 'SKU-001', quantity: 1 }] });
    unserved.shippingAddress.country = 'US';
    for (const body of [served, unserved]) {
      const waited = await fetch(`http://127.0.0.1:${api.port}/checkouts`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID(), prefer: 'wait=20' },
        body: JSON.stringify(body),
      });
      expect(waited.status).toBe(200);
      const answer = (await waited.json()) as { sagaId: string; status: string };
      expect(['completed', 'compensated']).toContain(answer.status);
      const read = await fetch(`http://127.0.0.1:${api.port}/checkouts/${answer.sagaId}`);
      expect(await read.json()).toEqual(answer);
    }
  });

  it('leaves the books straight after checkouts of every outcome at once', async () => {
    const us = (): CheckoutBody => {
      const body = checkoutBody({ items: [{ sku: 'SKU-001', quantity: 1 }] });
      body.shippingAddress.country = 'US';
      return body;
    };
    const cases: [CheckoutBody, string, string | null][] = [
      [checkoutBody({ items: [{ sku: 'SKU-001', quantity: 1 }] }), 'completed', null],
      [checkoutBody({ items: [{ sku: 'SKU-001', quantity: 3 }] }), 'completed', null],
      [checkoutBody({ items: [{ sku: 'SKU-002', quantity: 4 }] }), 'compensated', 'out_of_stock'],
      [checkoutBody({ items: [{ sku: 'SKU-002', quantity: 99 }] }), 'compensated', 'out_of_stock'],
      [checkoutBody({ paymentToken: 'tok_declined' }), 'compensated', 'card_declined'],
      [checkoutBody({ paymentToken: 'tok_declined' }), 'compensated', 'card_declined'],
      [us(), 'compensated', 'country_not_served'],
      [us(), 'compensated', 'country_not_served'],
    ];
    const answers = await Promise.all(
      cases.map(([body]) => postCheckout(api.port, body, { waitSeconds: 20 })),
    );
    const outcomes = await sagaOutcomes(
      system.database,
      answers.map((a) => a.sagaId),
    );
    expect(outcomes).toEqual(cases.map(([, status, reason]) => ({ status, reason })));
    await expectBooksStraight();
  });
});
