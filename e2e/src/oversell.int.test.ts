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

describe('1,000 concurrent checkouts for the last unit', () => {
  let system: System;
  let api: ManagedProcess;
  beforeAll(async () => {
    system = await System.create({ catalogue: [{ sku: 'SKU-LAST', priceCents: 4_900, available: 1 }] });
    api = await system.startOrchestrator();
    await system.startWorkers();
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('completes exactly one, compensates the other 999 as out of stock, and stock never goes below zero', async () => {
    let lowest = 1;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        const [row] = await system.database.sql<{ available: number }[]>`
          select available from inventory.products where sku = 'SKU-LAST'`;
        lowest = Math.min(lowest, row!.available);
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const answers = await Promise.all(
      Array.from({ length: 1_000 }, () =>
        postCheckout(api.port, checkoutBody({ items: [{ sku: 'SKU-LAST', quantity: 1 }] })),
      ),
    );
    expect(answers.every((a) => a.httpStatus === 202)).toBe(true);
    const report = await settledBooks(system, new Map([['SKU-LAST', 1]]), 120_000);
    watching = false;
    await watcher;
    expect(lowest).toBe(0);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({
      sagas: 1_000,
      completed: 1,
      compensated: 999,
      failed: 0,
      compensationReasons: { out_of_stock: 999 },
    });
    const [stock] = await system.database
      .sql`select available from inventory.products where sku = 'SKU-LAST'`;
    expect(stock).toEqual({ available: 0 });
  }, 240_000);
});
