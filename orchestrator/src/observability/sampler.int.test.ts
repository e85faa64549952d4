import { randomUUID } from 'node:crypto';
import { silentLogger } from '@sagaport/rabbitmq';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertDeadLetter, startCheckout } from '../test-support/saga-fixtures.js';
import { startTestStack, type TestStack } from '../test-support/stack.js';
import { sagaRegistry } from '../saga/sagas.js';
import { MetricsSampler } from './sampler.js';

describe('the sampled gauges (real PostgreSQL and the RabbitMQ management API)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  const sampleOnce = async () => {
    const registry = new Registry();
    const sampler = new MetricsSampler({
      registry,
      db: stack.database.db,
      topology: stack.broker.topology,
      logger: silentLogger,
      managementUrl: process.env.RABBITMQ_MANAGEMENT_URL ?? 'http://guest:guest@127.0.0.1:15672',
      intervalMs: 60_000,
      sagaTypes: sagaRegistry.names(),
    });
    await sampler.sample();
    return (await registry.getMetricsAsJSON()).flatMap((m) =>
      m.values.map((v) => ({ name: m.name, labels: v.labels, value: v.value })),
    );
  };

  it('bounds the dead-letter labels: a type or queue nobody declared is counted as unknown', async () => {
    const { db } = stack.database;
    const queue = stack.broker.topology.queues.commands.payment;
    await insertDeadLetter(db, {
      sagaId: randomUUID(),
      messageId: randomUUID(),
      messageType: 'payment.charge',
      originalQueue: queue,
    });
    for (const crafted of ['<script>', `drop-${randomUUID()}`]) {
      await insertDeadLetter(db, {
        sagaId: randomUUID(),
        messageId: randomUUID(),
        messageType: crafted,
        originalQueue: `elsewhere-${randomUUID()}`,
      });
    }
    const open = (await sampleOnce()).filter((s) => s.name === 'sagaport_dead_letters_open');
    expect(open).toEqual(
      expect.arrayContaining([
        { name: 'sagaport_dead_letters_open', labels: { queue, type: 'payment.charge' }, value: 1 },
        { name: 'sagaport_dead_letters_open', labels: { queue: 'unknown', type: 'unknown' }, value: 2 },
      ]),
    );
    expect(open).toHaveLength(2);
  });

  it('counts running sagas, and reads depth and consumers of the topology queues only', async () => {
    await startCheckout(stack.orchestrator.app, `cust-${randomUUID()}`);
    const samples = await sampleOnce();
    const sagas = samples.filter((s) => s.name === 'sagaport_sagas');
    // Every registered type and status, the new checkout among them; none of another type.
    expect(sagas).toContainEqual({
      name: 'sagaport_sagas',
      labels: { saga: 'checkout', status: 'running' },
      value: 1,
    });
    expect(sagas).toContainEqual({
      name: 'sagaport_sagas',
      labels: { saga: 'order-cancellation', status: 'running' },
      value: 0,
    });
    expect(sagas).toHaveLength(6);
    expect(samples).toContainEqual({ name: 'sagaport_broker_management_up', labels: {}, value: 1 });
    const depthQueues = samples
      .filter((s) => s.name === 'sagaport_queue_consumers')
      .map((s) => s.labels['queue']);
    expect(depthQueues).toContain(stack.broker.topology.queues.replies);
    const declared = new Set(stack.broker.topology.declarations.queues.map((q) => q.name));
    expect(depthQueues.every((q) => declared.has(String(q)))).toBe(true);
  });
});
