import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutBody, postCheckout } from './client.js';
import { settledBooks } from './consistency.js';
import { System, type ManagedProcess } from './harness.js';

describe('200 concurrent checkouts for a sku with 10 units', () => {
  let system: System;
  let api: ManagedProcess;
  beforeAll(async () => {
    system = await System.create({ catalogue: [{ sku: 'SKU-RARE', priceCents: 9_900, available: 10 }] });
    api = await system.startOrchestrator();
    await system.startWorkers();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('completes exactly 10 and never takes stock below zero', async () => {
    const answers = await Promise.all(
      Array.from({ length: 200 }, () =>
        postCheckout(api.port, checkoutBody({ items: [{ sku: 'SKU-RARE', quantity: 1 }] }), {
          waitSeconds: 30,
        }),
      ),
    );
    const byStatus = answers.reduce<Record<string, number>>(
      (acc, a) => ({ ...acc, [a.status]: (acc[a.status] ?? 0) + 1 }),
      {},
    );
    expect(byStatus).toEqual({ completed: 10, compensated: 190 });
    expect(
      answers.filter((a) => a.status === 'compensated').every((a) => a.reason?.code === 'out_of_stock'),
    ).toBe(true);
    const [stock] = await system.database
      .sql`select available from inventory.products where sku = 'SKU-RARE'`;
    expect(stock).toEqual({ available: 0 });
    // Settled: the ten sold holds are committed, and none of the 190 refused orders holds stock.
    const report = await settledBooks(system, new Map([['SKU-RARE', 10]]));
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({
      sagas: 200,
      completed: 10,
      compensated: 190,
      failed: 0,
      compensationReasons: { out_of_stock: 190 },
    });
  });
});
