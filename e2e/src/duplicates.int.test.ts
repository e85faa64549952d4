import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutBody, postCheckout } from './client.js';
import { checkConsistency } from './consistency.js';
import { System, type ManagedProcess } from './harness.js';

const catalogue = [
  { sku: 'SKU-001', priceCents: 1_000, available: 20 },
  { sku: 'SKU-002', priceCents: 700, available: 1 },
];

describe('every command and every reply delivered twice', () => {
  let system: System;
  let api: ManagedProcess;
  beforeAll(async () => {
    // The relay publishes each outbox message twice: commands reach workers twice, replies reach the orchestrator twice.
    system = await System.create({ catalogue, env: { FAULT_DUPLICATE_PUBLISHES: '1' } });
    api = await system.startOrchestrator();
    await system.startWorkers();
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
    await new Promise((r) => setTimeout(r, 1_000)); // let the duplicates of the last messages land

    const { sql } = system.database;
    const one = async (query: Promise<{ n: number }[]>) => (await query)[0]!.n;
    expect(await one(sql`select count(*)::int as n from orders.orders`)).toBe(4);
    expect(await one(sql`select count(*)::int as n from inventory.reservations`)).toBe(3); // out-of-stock reserved nothing
    expect(await one(sql`select count(*)::int as n from payments.charges`)).toBe(2); // completed + US (then refunded)
    expect(await one(sql`select count(*)::int as n from payments.refunds where amount_cents > 0`)).toBe(1);
    expect(await one(sql`select count(*)::int as n from shipping.shipments`)).toBe(1);
    // Stock: 3 sold of SKU-001; the declined and the US orders took theirs back once, not twice.
    expect(await sql`select sku, available from inventory.products order by sku`).toEqual([
      { sku: 'SKU-001', available: 17 },
      { sku: 'SKU-002', available: 1 },
    ]);
    // The duplicates really arrived: workers answered them from the inbox, the orchestrator ignored them.
    expect(
      await one(sql`select count(*)::int as n from saga.events where kind = 'reply.ignored'`),
    ).toBeGreaterThan(0);
    const report = await checkConsistency(
      system.database,
      new Map(catalogue.map((p) => [p.sku, p.available])),
    );
    expect(report.problems).toEqual([]);
  });
});
