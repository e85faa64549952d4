import { afterEach, describe, expect, it } from 'vitest';
import { checkConsistency, waitForAllEnded } from './consistency.js';
import { System } from './harness.js';
import { driveCheckouts, mixedCheckout } from './load.js';

const catalogue = ['SKU-001', 'SKU-002', 'SKU-003', 'SKU-004'].map((sku, i) => ({
  sku,
  priceCents: 300 + 100 * i,
  available: 5_000,
}));
const initialStock = new Map(catalogue.map((p) => [p.sku, p.available]));
const skus = catalogue.map((p) => p.sku);

describe('a process killed with SIGKILL in the middle of 200 sagas', () => {
  let system: System | undefined;
  afterEach(async () => {
    await system?.stop();
    system = undefined;
  });

  async function runningNow(current: System): Promise<number> {
    const [row] = await current.database.sql<{ n: number }[]>`
      select count(*)::int as n from saga.instances where status in ('running', 'compensating')`;
    return row!.n;
  }

  async function expectBooksStraight(current: System) {
    expect(await waitForAllEnded(current.database, 90_000)).toBe(0);
    await new Promise((r) => setTimeout(r, 1_000)); // order.confirmed events commit the last holds
    const report = await checkConsistency(current.database, initialStock);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ sagas: 200, running: 0, failed: 0 });
    expect(report.completed).toBeGreaterThan(100);
    return report;
  }

  it('worker: every saga ends, no card is charged twice, stock adds up', async () => {
    system = await System.create({ catalogue });
    const current = system;
    const api = await system.startOrchestrator();
    const workers = await system.startWorkers();
    let killed: Promise<void> | undefined;
    let runningAtKill = 0;
    await driveCheckouts({
      total: 200,
      concurrency: 16,
      port: () => api.port,
      body: mixedCheckout(skus),
      onAccepted: (accepted) => {
        if (accepted === 80)
          killed = runningNow(current).then((n) => ((runningAtKill = n), workers.kill('SIGKILL')));
      },
    });
    await killed;
    expect(runningAtKill).toBeGreaterThan(0); // the kill really interrupted sagas in flight
    await system.startWorkers();
    await expectBooksStraight(system);
  });

  it('orchestrator: every saga ends, no card is charged twice, stock adds up', async () => {
    system = await System.create({ catalogue });
    let api = await system.startOrchestrator();
    await system.startWorkers();
    const current = system;
    let restarted: Promise<void> | undefined;
    let runningAtKill = 0;
    await driveCheckouts({
      total: 200,
      concurrency: 16,
      port: () => api.port,
      body: mixedCheckout(skus),
      onAccepted: (accepted) => {
        if (accepted !== 80) return;
        restarted = (async () => {
          runningAtKill = await runningNow(current);
          await api.kill('SIGKILL');
          await new Promise((r) => setTimeout(r, 500));
          api = await current.startOrchestrator();
        })();
      },
    });
    await restarted;
    expect(runningAtKill).toBeGreaterThan(0);
    await expectBooksStraight(system);
  });
});
