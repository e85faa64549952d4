// A worker killed after its batch committed and before the ack: the redelivered batch changes nothing twice.
import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { sagaOutcomes, settledBooks } from './consistency.js';
import { System } from './harness.js';
import { driveCheckouts, expectedMixedOutcome, expectedMixedTotals, mixedCheckout } from './load.js';

const catalogue = ['SKU-001', 'SKU-002', 'SKU-003'].map((sku, i) => ({
  sku,
  priceCents: 400 + 100 * i,
  available: 5_000,
}));

describe('a worker that dies between the commit of a batch and its ack', () => {
  let system: System | undefined;
  afterEach(async () => {
    await system?.stop();
    system = undefined;
  });

  it('has the batch delivered again, answers it from the inbox, and leaves the books straight', async () => {
    const marker = join(tmpdir(), `sagaport-crash-after-commit-${randomUUID()}`);
    system = await System.create({ catalogue });
    const api = await system.startOrchestrator();
    const workers = await system.startWorkers([], { FAULT_CRASH_AFTER_COMMIT: marker });
    const sagaIds = await driveCheckouts({
      total: 60,
      concurrency: 20,
      port: () => api.port,
      body: mixedCheckout(catalogue.map((p) => p.sku)),
    });
    // The worker committed a batch of several commands (and published their replies), then died unacked.
    expect(
      await waitFor(() => existsSync(marker) && workers.exited),
      'the worker crashed after a commit',
    ).toBe(true);
    await system.startWorkers();

    const report = await settledBooks(system, new Map(catalogue.map((p) => [p.sku, p.available])), 60_000);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject(expectedMixedTotals(60));
    expect(await sagaOutcomes(system.database, sagaIds)).toEqual(
      sagaIds.map((_, i) => expectedMixedOutcome(i)),
    );
    // The redelivered commands were recognised: their replies reached the orchestrator twice, and
    // each time with the reply stored the first time (same message id), not a reply made anew.
    const [ignored] = await system.database.sql<{ n: number }[]>`
      select count(*)::int as n from saga.events where kind = 'reply.ignored'`;
    expect(ignored!.n).toBeGreaterThan(0);
    const remade = await system.database.sql<{ sagaId: string; type: string; ids: number }[]>`
      select saga_id as "sagaId", message_type as type, count(distinct message_id)::int as ids
      from saga.events where kind = 'reply.received'
      group by saga_id, message_type having count(distinct message_id) > 1`;
    expect(remade).toEqual([]);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 30_000): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (condition()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return condition();
}
