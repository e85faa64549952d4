import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatchShipment } from '@sagaport/workers';
import { checkoutBody, postCancellation, postCheckout } from './client.js';
import { checkConsistency } from './consistency.js';
import { System, type ManagedProcess } from './harness.js';
import { waitForQuiescence } from './quiescence.js';

const catalogue = [
  { sku: 'SKU-001', priceCents: 1_000, available: 20 },
  { sku: 'SKU-002', priceCents: 700, available: 1 },
];

describe('every command and every reply delivered twice', () => {
  let system: System;
  let api: ManagedProcess;
  let workers: ManagedProcess;
  beforeAll(async () => {
    // The relay publishes each outbox message twice: commands reach workers twice, replies reach the orchestrator twice.
    system = await System.create({ catalogue, env: { FAULT_DUPLICATE_PUBLISHES: '1' } });
    api = await system.startOrchestrator();
    workers = await system.startWorkers();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('changes no state twice', async () => {
    const us = checkoutBody({ items: [{ sku: 'SKU-001', quantity: 1 }] });
    us.shippingAddress.country = 'US';
    const answers = await Promise.all([
      postCheckout(api.port, checkoutBody({ items: [{ sku: 'SKU-001', quantity: 3 }] }), { waitSeconds: 20 }),
      postCheckout(api.port, checkoutBody({ items: [{ sku: 'SKU-002', quantity: 2 }] }), { waitSeconds: 20 }),
      postCheckout(api.port, checkoutBody({ paymentToken: 'tok_declined' }), { waitSeconds: 20 }),
      postCheckout(api.port, us, { waitSeconds: 20 }),
    ]);
    expect(answers.map((a) => a.status)).toEqual(['completed', 'compensated', 'compensated', 'compensated']);
    // Nothing in flight any more: the second copy of every last message has been handled.
    await waitForQuiescence(system);

    const { sql } = system.database;
    const one = async (query: Promise<{ n: number }[]>) => (await query)[0]!.n;
    // The duplicates really arrived. Every command publish was delivered twice; each delivery's
    // reply (the second one answered from the inbox) was published twice; the orchestrator applied
    // one reply per command it sent and recorded every other copy as ignored.
    const sent = await one(sql`select count(*)::int as n from saga.events where kind = 'command.sent'`);
    expect(sent).toBe(5 + 3 + 5 + 7); // completed, out of stock, declined, unserved country
    // A step timeout resends the same command: more copies, still no second effect.
    const published =
      sent + (await one(sql`select count(*)::int as n from saga.events where kind = 'command.resent'`));
    // Each order's confirmed or cancelled event: the second delivery of its command publishes it
    // again with the stored reply (workers publish both from the inbox), and each publish goes
    // out twice: four copies.
    expect(await workers.metric('sagaport_messages_consumed_total', { outcome: 'acked' })).toBe(
      2 * published + 4 * 4,
    );
    expect(await one(sql`select count(*)::int as n from saga.events where kind = 'reply.ignored'`)).toBe(
      4 * published - sent,
    );

    expect(await one(sql`select count(*)::int as n from orders.orders`)).toBe(4);
    expect(await one(sql`select count(*)::int as n from inventory.reservations`)).toBe(3); // out-of-stock reserved nothing
    expect(await one(sql`select count(*)::int as n from payments.charges`)).toBe(2); // completed + US (then refunded)
    expect(await one(sql`select count(*)::int as n from payments.refunds where amount_cents > 0`)).toBe(1);
    expect(await one(sql`select count(*)::int as n from shipping.shipments`)).toBe(1);
    // The provider moved money once per charge and refund, however often it was asked.
    expect(
      await sql`select operation, count(*)::int as n from payments.provider_calls
                where status = 201 and not replayed group by operation order by operation`,
    ).toEqual([
      { operation: 'charge', n: 2 },
      { operation: 'refund', n: 1 },
    ]);
    // Stock: 3 sold of SKU-001; the declined and the US orders took theirs back once, not twice.
    expect(await sql`select sku, available from inventory.products order by sku`).toEqual([
      { sku: 'SKU-001', available: 17 },
      { sku: 'SKU-002', available: 1 },
    ]);
    const report = await checkConsistency(
      system.database,
      new Map(catalogue.map((p) => [p.sku, p.available])),
    );
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({
      completed: 1,
      compensated: 3,
      compensationReasons: { out_of_stock: 1, card_declined: 1, country_not_served: 1 },
    });
  });

  it('changes no state twice in order cancellations either (one completed, one rejected)', async () => {
    const { sql } = system.database;
    const [cancelled, shipped] = await Promise.all(
      [0, 1].map(() =>
        postCheckout(api.port, checkoutBody({ items: [{ sku: 'SKU-001', quantity: 2 }] }), {
          waitSeconds: 20,
        }),
      ),
    );
    expect([cancelled!.status, shipped!.status]).toEqual(['completed', 'completed']);
    await dispatchShipment(sql, shipped!.orderId);
    const answers = await Promise.all([
      postCancellation(api.port, cancelled!.orderId, { waitSeconds: 20 }),
      postCancellation(api.port, shipped!.orderId, { waitSeconds: 20 }),
    ]);
    expect(answers.map((a) => a.body.status)).toEqual(['completed', 'rejected']);
    await waitForQuiescence(system);
    // Every cancellation command and reply came twice: the orchestrator ignored the copies.
    const ignored = await sql<{ n: number }[]>`
      select count(*)::int as n from saga.events
      where kind = 'reply.ignored' and saga_id = any(${sql.array(answers.map((a) => a.body.sagaId!))}::uuid[])`;
    expect(ignored[0]!.n).toBeGreaterThanOrEqual(3 * 5);
    // The card refunded once at the provider, the stock given back once, the order cancelled once.
    expect(
      await sql`select count(*)::int as n, sum(amount_cents)::int as cents from payments.provider_calls
                where idempotency_key = ${cancelled!.sagaId} and operation = 'refund' and status = 201 and not replayed`,
    ).toEqual([{ n: 1, cents: 2_000 }]);
    expect(await sql`select sku, available from inventory.products order by sku`).toEqual([
      { sku: 'SKU-001', available: 15 }, // 17 before; two orders of 2, one returned once
      { sku: 'SKU-002', available: 1 },
    ]);
    expect(await sql`select status from orders.orders where id = ${cancelled!.orderId}`).toEqual([
      { status: 'cancelled' },
    ]);
    const report = await checkConsistency(
      system.database,
      new Map(catalogue.map((p) => [p.sku, p.available])),
    );
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ rejected: 1, failed: 0 });
  });
});
