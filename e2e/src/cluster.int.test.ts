// A three-node RabbitMQ cluster of the test's own: quorum queues replicated on all three, the node
// leading the work queues stopped under load, and every saga still ends with the books straight.
import { PrivateCluster } from '@sagaport/rabbitmq/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sagaOutcomes, settledBooks } from './consistency.js';
import { System } from './harness.js';
import { driveCheckouts, expectedMixedOutcome, expectedMixedTotals, mixedCheckout } from './load.js';

const catalogue = ['SKU-001', 'SKU-002', 'SKU-003'].map((sku, i) => ({
  sku,
  priceCents: 900 + 100 * i,
  available: 5_000,
}));
const initialStock = new Map(catalogue.map((p) => [p.sku, p.available]));

describe('a three-node broker cluster losing the leader of the work queues', () => {
  let cluster: PrivateCluster;
  let system: System | undefined;
  beforeAll(async () => {
    cluster = await PrivateCluster.start(3);
  }, 180_000);
  afterAll(async () => {
    await system?.stop();
    await cluster?.dispose();
  }, 120_000);

  it('fails over to the other nodes (AMQP_URL lists all three) and every saga ends with the books straight', async () => {
    system = await System.create({ catalogue, amqpUrl: cluster.url });
    const api = await system.startOrchestrator();
    const workers = await system.startWorkers();
    const current = system;
    const queue = system.topology.queues.commands.payment;
    // Declared by the orchestrator: replicated on every node of the cluster.
    const members = await cluster.membersOf(queue);
    expect(members.sort()).toEqual(cluster.nodes.map((n) => n.nodeName).sort());
    expect((await cluster.membersOf(system.topology.queues.replies)).length).toBe(3);

    let stopped: Promise<void> | undefined;
    let stoppedNode = '';
    const sagaIds = await driveCheckouts({
      total: 40,
      concurrency: 8,
      port: () => api.port,
      body: mixedCheckout(catalogue.map((p) => p.sku)),
      retryForMs: 90_000,
      onAccepted: (n) => {
        if (n !== 12) return;
        stopped = (async () => {
          const leader = await cluster.leaderOf(queue);
          stoppedNode = leader.nodeName;
          await leader.shutdown();
        })();
      },
    });
    await stopped;
    expect(stoppedNode).not.toBe('');
    // Another node leads the queue now.
    expect((await cluster.leaderOf(queue)).nodeName).not.toBe(stoppedNode);
    expect(api.exited).toBe(false);
    expect(workers.exited).toBe(false);
    const report = await settledBooks(current, initialStock, 90_000);
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject(expectedMixedTotals(40));
    expect(await sagaOutcomes(current.database, sagaIds)).toEqual(
      sagaIds.map((_, i) => expectedMixedOutcome(i)),
    );
    const [letters] = await current.database.sql<
      { n: number }[]
    >`select count(*)::int as n from dead_letters`;
    expect(letters!.n).toBe(0);
  }, 240_000);
});
