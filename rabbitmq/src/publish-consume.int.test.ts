import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sagaContracts } from './contracts/index.js';
import { Consumer } from './consumer.js';
import { ConfirmPublisher, PublishError } from './publisher.js';
import { createTestBroker, eventually, settledQueue, type TestBroker } from './testing.js';
import { orderConfirm } from './test-support/messages.js';

const retry = { tiers: [{ name: '1s', delayMs: 1_000 }], maxAttempts: 3 };

describe('confirm publisher and consumer on a real broker', () => {
  let broker: TestBroker;
  let publisher: ConfirmPublisher;
  beforeEach(async () => {
    broker = await createTestBroker();
    publisher = new ConfirmPublisher(broker.connection, { maxInFlight: 500 });
  });
  afterEach(async () => {
    await publisher.close();
    await broker.cleanup();
  });

  it('delivers each of 10,000 confirmed messages exactly once', async () => {
    const total = 10_000;
    const seen = new Map<string, number>();
    const consumer = new Consumer({
      connection: broker.connection,
      topology: broker.topology,
      queue: broker.topology.queues.commands.order,
      contracts: sagaContracts,
      publisher,
      retry,
      consumerName: 'test',
      prefetch: 200,
      handler: async (message) => {
        seen.set(message.messageId, (seen.get(message.messageId) ?? 0) + 1);
      },
    });
    await consumer.started;
    const messages = Array.from({ length: total }, () => orderConfirm(broker.topology));
    const results = await Promise.allSettled(messages.map((m) => publisher.publish(m)));
    expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
    expect(publisher.pending).toBe(0);

    expect(await eventually(() => seen.size === total, 60_000)).toBe(true);
    await consumer.stop();
    // Once the broker has let go of the consumer, every delivery is acked or back in the queue:
    // a duplicate was either handled already (counted in `seen`) or is still waiting there.
    const admin = await broker.admin();
    expect(await settledQueue(admin, broker.topology.queues.commands.order)).toBe(0);
    expect(seen.size).toBe(total);
    const notOnce = messages.map((m) => m.properties.messageId).filter((id) => seen.get(id) !== 1);
    expect(notOnce).toEqual([]);
  });

  it('rejects an unroutable message instead of confirming it', async () => {
    const message = { ...orderConfirm(broker.topology), routingKey: 'no.such.binding' };
    await expect(publisher.publish(message)).rejects.toMatchObject({ reason: 'unroutable' });
  });

  it('rejects a message amqplib cannot encode, and confirms the next ones on a channel in step', async () => {
    const quick = new ConfirmPublisher(broker.connection, { timeoutMs: 3_000 });
    try {
      const good = orderConfirm(broker.topology);
      // A header value amqplib reads as a typed field of an unknown type: it throws while encoding.
      const bad = { ...good, properties: { ...good.properties, headers: { x: { '!': 'x', value: 1 } } } };
      await expect(quick.publish(bad)).rejects.toMatchObject({ reason: 'connection-lost' });
      // Without a new channel amqplib would credit each confirm to the message before it, and the
      // last of these would wait for a confirm that never comes.
      const next = Array.from({ length: 3 }, () => orderConfirm(broker.topology));
      expect(
        await eventually(async () =>
          (await Promise.allSettled(next.map((m) => quick.publish(m)))).every(
            (r) => r.status === 'fulfilled',
          ),
        ),
      ).toBe(true);
    } finally {
      await quick.close();
    }
  });

  it('rejects a message the broker nacks (queue full with reject-publish)', async () => {
    const admin = await broker.admin();
    const full = `${broker.topology.prefix}full`;
    await admin.assertQueue(full, {
      durable: true,
      arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' },
    });
    try {
      const message = { ...orderConfirm(broker.topology), exchange: '', routingKey: full };
      const error = await publisher.publish(message).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(PublishError);
      expect((error as PublishError).reason).toBe('nacked');
    } finally {
      await admin.deleteQueue(full);
    }
  });

  it('bounds in-flight publishes (backpressure, not an unbounded buffer)', async () => {
    const bounded = new ConfirmPublisher(broker.connection, { maxInFlight: 8 });
    let maxPending = 0;
    const publishes = Array.from({ length: 400 }, () => {
      const p = bounded.publish(orderConfirm(broker.topology));
      maxPending = Math.max(maxPending, bounded.pending);
      return p;
    });
    const timer = setInterval(() => (maxPending = Math.max(maxPending, bounded.pending)), 1);
    await Promise.all(publishes);
    clearInterval(timer);
    await bounded.close();
    expect(maxPending).toBeGreaterThan(0);
    expect(maxPending).toBeLessThanOrEqual(8);
  });
});
