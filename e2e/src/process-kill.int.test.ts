import { afterEach, describe, expect, it } from 'vitest';
import { sagaOutcomes, settledBooks } from './consistency.js';
import { System } from './harness.js';
import {
  cancelledInMix,
  driveCheckouts,
  expectedMixedOutcome,
  expectedMixedTotals,
  mixedCheckout,
} from './load.js';

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

  /** Every saga ended as its checkout calls for — the kill changed no outcome — and the books are straight. */
  async function expectBooksStraight(
    current: System,
    sagaIds: readonly string[],
    cancellations: ReadonlyMap<number, string> = new Map(),
  ) {
    const report = await settledBooks(current, initialStock, 90_000);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject(expectedMixedTotals(200, cancellations.size));
    expect(await sagaOutcomes(current.database, sagaIds)).toEqual(
      sagaIds.map((_, i) => expectedMixedOutcome(i)),
    );
    // Every order cancellation completed: its order cancelled once, refunded once, stock back once.
    expect(await sagaOutcomes(current.database, [...cancellations.values()])).toEqual(
      [...cancellations.values()].map(() => ({ status: 'completed', reason: null })),
    );
    return report;
  }

  it('worker: every saga ends, no card is charged twice, stock adds up', async () => {
    system = await System.create({ catalogue });
    const current = system;
    const api = await system.startOrchestrator();
    const workers = await system.startWorkers();
    let killed: Promise<void> | undefined;
    let runningAtKill = 0;
    const sagaIds = await driveCheckouts({
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
    await expectBooksStraight(system, sagaIds);
  });

  it('orchestrator: every saga ends, no card is charged twice, stock adds up', async () => {
    system = await System.create({ catalogue });
    let api = await system.startOrchestrator();
    await system.startWorkers();
    const current = system;
    let restarted: Promise<void> | undefined;
    let runningAtKill = 0;
    let refusedWhileDown = 0;
    let felt: () => void = () => undefined;
    const outageFelt = new Promise<void>((resolve) => (felt = resolve));
    const sagaIds = await driveCheckouts({
      total: 200,
      concurrency: 16,
      port: () => api.port,
      body: mixedCheckout(skus),
      onRefused: () => {
        refusedWhileDown += 1;
        felt();
      },
      onAccepted: (accepted) => {
        if (accepted !== 80) return;
        restarted = (async () => {
          runningAtKill = await runningNow(current);
          await api.kill('SIGKILL');
          // Down until the clients have felt it: a checkout was refused, then retried with its key.
          await outageFelt;
          api = await current.startOrchestrator();
        })();
      },
    });
    await restarted;
    expect(runningAtKill).toBeGreaterThan(0);
    expect(refusedWhileDown).toBeGreaterThan(0);
    await expectBooksStraight(system, sagaIds);
  });

  it('worker, in a mix of checkouts and order cancellations: every saga of both types ends, books straight', async () => {
    system = await System.create({ catalogue });
    const current = system;
    const api = await system.startOrchestrator();
    const workers = await system.startWorkers();
    let killed: Promise<unknown> | undefined;
    let runningAtKill = 0;
    const cancellations = new Map<number, string>();
    const sagaIds = await driveCheckouts({
      total: 200,
      concurrency: 16,
      port: () => api.port,
      body: mixedCheckout(skus),
      cancel: cancelledInMix,
      cancellations,
      onAccepted: (accepted) => {
        // Cancellations wait for their checkout: the workers come back while the run goes on.
        if (accepted === 80)
          killed = runningNow(current)
            .then((n) => ((runningAtKill = n), workers.kill('SIGKILL')))
            .then(() => current.startWorkers());
      },
    });
    await killed;
    expect(runningAtKill).toBeGreaterThan(0);
    expect(cancellations.size).toBe(20);
    const running = await current.database.sql<{ n: number }[]>`
      select count(*)::int as n from saga.instances where saga_type = 'order-cancellation'`;
    expect(running[0]!.n).toBe(20);
    await expectBooksStraight(system, sagaIds, cancellations);
  }, 300_000);

  it('orchestrator, in a mix of checkouts and order cancellations: every saga of both types ends, books straight', async () => {
    system = await System.create({ catalogue });
    let api = await system.startOrchestrator();
    await system.startWorkers();
    const current = system;
    let restarted: Promise<void> | undefined;
    let runningAtKill = 0;
    let felt: () => void = () => undefined;
    const outageFelt = new Promise<void>((resolve) => (felt = resolve));
    const cancellations = new Map<number, string>();
    const sagaIds = await driveCheckouts({
      total: 200,
      concurrency: 16,
      port: () => api.port,
      body: mixedCheckout(skus),
      cancel: cancelledInMix,
      cancellations,
      onRefused: () => felt(),
      onAccepted: (accepted) => {
        if (accepted !== 80) return;
        restarted = (async () => {
          runningAtKill = await runningNow(current);
          await api.kill('SIGKILL');
          await outageFelt;
          api = await current.startOrchestrator();
        })();
      },
    });
    await restarted;
    expect(runningAtKill).toBeGreaterThan(0);
    expect(cancellations.size).toBe(20);
    await expectBooksStraight(system, sagaIds, cancellations);
  }, 300_000);
});
