import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sagaOutcomes, settledBooks } from './consistency.js';
import { System, type ManagedProcess } from './harness.js';
import { driveCheckouts, expectedMixedOutcome, expectedMixedTotals, mixedCheckout } from './load.js';

const catalogue = ['SKU-001', 'SKU-002', 'SKU-003'].map((sku, i) => ({
  sku,
  priceCents: 500 + 100 * i,
  available: 5_000,
}));
const initialStock = new Map(catalogue.map((p) => [p.sku, p.available]));
const total = 200;

describe('two orchestrators and two worker processes sharing 200 sagas', () => {
  let system: System;
  let apis: ManagedProcess[];
  let workers: ManagedProcess[];
  beforeAll(async () => {
    system = await System.create({ catalogue });
    apis = [await system.startOrchestrator(), await system.startOrchestrator()];
    workers = [await system.startWorkers(), await system.startWorkers()];
  });
  afterAll(async () => {
    await system?.stop();
  });

  it('shares the work: every process took part, every saga ended as its checkout calls for, books straight', async () => {
    let sent = 0;
    const sagaIds = await driveCheckouts({
      total,
      concurrency: 16,
      // Alternate the two APIs: each orchestrator starts half of the sagas.
      port: () => apis[sent++ % apis.length]!.port,
      body: mixedCheckout(catalogue.map((p) => p.sku)),
    });

    const report = await settledBooks(system, initialStock, 90_000);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject(expectedMixedTotals(total));
    expect(await sagaOutcomes(system.database, sagaIds)).toEqual(
      sagaIds.map((_, i) => expectedMixedOutcome(i)),
    );

    // Both orchestrators started sagas and applied replies — replies reach whichever consumes
    // them, not the one that started the saga, so each applied replies of the other's sagas.
    for (const api of apis) {
      expect(await api.metric('sagaport_sagas_started_total')).toBeGreaterThan(0);
      expect(
        await api.metric('sagaport_messages_consumed_total', { queue: system.topology.queues.replies }),
      ).toBeGreaterThan(0);
    }
    const started = await Promise.all(apis.map((api) => api.metric('sagaport_sagas_started_total')));
    expect(started[0]! + started[1]!).toBe(total);
    // Both worker processes handled commands of every worker: no role sat idle in either.
    for (const process of workers) {
      for (const queue of Object.values(system.topology.queues.commands)) {
        expect(
          await process.metric('sagaport_messages_consumed_total', { queue, outcome: 'acked' }),
          `${process.name} on ${queue}`,
        ).toBeGreaterThan(0);
      }
    }
  });
});
