import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sagaContracts } from './contracts/index.js';
import { Consumer, type DeliveryOutcome } from './consumer.js';
import type { InboundMessage } from './envelope.js';
import { PermanentError, TransientError } from './errors.js';
import { ConfirmPublisher } from './publisher.js';
import { createTestBroker, drainQueue, eventually, settledQueue, type TestBroker } from './testing.js';
import { orderConfirm } from './test-support/messages.js';
import { declareTopology } from './topology.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a retry or dead letter the broker does not confirm', () => {
  let broker: TestBroker;
  let publisher: ConfirmPublisher;
  let consumer: Consumer | undefined;
  const handled: InboundMessage[] = [];
  const outcomes: DeliveryOutcome[] = [];
  /** While set, a failing delivery waits here before it fails, so the topology can be repaired. */
  let hold: Promise<void> | undefined;
  let holding = false;

  beforeEach(async () => {
    handled.length = 0;
    outcomes.length = 0;
    hold = undefined;
    holding = false;
    // The default delivery limit (5): the consumer holds the delivery while its retry or dead letter
    // is refused, so it is not delivered again and the broker's crash-loop guard never fires.
    broker = await createTestBroker({ retryTiers: [{ name: '200ms', delayMs: 200 }] });
    publisher = new ConfirmPublisher(broker.connection);
  });
  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
    await publisher.close();
    await broker.cleanup();
  });

  /** Consumes the order queue; the first attempt of every delivery fails with `failure()`. */
  function start(failure: () => Error) {
    consumer = new Consumer({
      connection: broker.connection,
      topology: broker.topology,
      queue: broker.topology.queues.commands.order,
      contracts: sagaContracts,
      publisher,
      retry: { tiers: broker.topology.retryTiers, maxAttempts: 3, jitter: 0 },
      consumerName: 'order-worker-test',
      onOutcome: (outcome) => outcomes.push(outcome),
      handler: async (message) => {
        handled.push(message);
        if (message.attempt > 1) return;
        if (hold) {
          holding = true;
          await hold;
        }
        await sleep(20);
        throw failure();
      },
    });
    return consumer.started;
  }

  /**
   * Puts in place of `queue`, on the same binding, a queue that refuses every message (length
   * limit 0, reject-publish): the broker nacks whatever is routed to it.
   */
  async function refuseIn(queue: string, exchange: string, routingKey: string) {
    const admin = await broker.admin();
    await admin.deleteQueue(queue);
    await admin.assertQueue(queue, {
      durable: true,
      arguments: { 'x-max-length': 0, 'x-overflow': 'reject-publish' },
    });
    await admin.bindQueue(queue, exchange, routingKey);
  }

  /**
   * Restores the real `queue` while the failing delivery is parked in the handler: a retry
   * published in between would find the retry log only, and be lost with the delivery acked.
   */
  async function restore(queue: string) {
    let release!: () => void;
    hold = new Promise((resolve) => (release = resolve));
    expect(await eventually(() => holding)).toBe(true);
    const admin = await broker.admin();
    await admin.deleteQueue(queue);
    await declareTopology(admin, broker.topology);
    hold = undefined;
    release();
  }

  /** Stops the consumer; returns what is left in the work queue once the broker holds no delivery. */
  async function settle(): Promise<number> {
    await consumer?.stop();
    consumer = undefined;
    return settledQueue(await broker.admin(), broker.topology.queues.commands.order);
  }

  it('holds the delivery while its retry is nacked, and retries it once the delay queue takes it', async () => {
    const { exchanges, queues } = broker.topology;
    await refuseIn(queues.retry['200ms']!, exchanges.retry, '200ms.#');
    await start(() => new TransientError('downstream timed out'));
    const message = orderConfirm(broker.topology);
    await publisher.publish(message);

    // Each retry was nacked: the consumer kept the delivery unacked and ran it again after a pause
    // (1 s, then 2 s), never settled, so the broker did not deliver it again.
    expect(await eventually(() => handled.length >= 3, 10_000)).toBe(true);
    expect(outcomes).toEqual([]);
    const whileRefused = handled.slice(0, 3);
    expect(whileRefused.map((m) => m.attempt)).toEqual([1, 1, 1]);
    expect(whileRefused.map((m) => m.raw.fields.redelivered)).toEqual([false, false, false]);

    await restore(queues.retry['200ms']!);
    expect(await eventually(() => outcomes.at(-1) === 'acked', 20_000)).toBe(true);
    expect(await settle()).toBe(0);
    // One message all along, never lost and never dead-lettered: it succeeded on its first retry.
    expect(new Set(handled.map((m) => m.messageId))).toEqual(new Set([message.properties.messageId]));
    expect(handled.at(-1)!.attempt).toBe(2);
    expect(outcomes).toEqual(['retried', 'acked']);
    const dlq = queues.deadLetters[queues.commands.order]!;
    expect(await drainQueue(await broker.admin(), dlq)).toEqual([]);
  });

  it('holds the delivery while its dead letter is nacked, and dead-letters it once the DLQ takes it', async () => {
    const { exchanges, queues } = broker.topology;
    const dlq = queues.deadLetters[queues.commands.order]!;
    await refuseIn(dlq, exchanges.deadLetters, queues.commands.order);
    await start(() => new PermanentError('order 42 does not exist'));
    const message = orderConfirm(broker.topology);
    await publisher.publish(message);

    expect(await eventually(() => handled.length >= 3, 10_000)).toBe(true);
    expect(outcomes).toEqual([]);
    expect(handled.slice(0, 3).map((m) => m.raw.fields.redelivered)).toEqual([false, false, false]);

    await restore(dlq);
    expect(await eventually(() => outcomes.at(-1) === 'dead-lettered', 20_000)).toBe(true);
    expect(await settle()).toBe(0);
    expect(outcomes).toEqual(['dead-lettered']);
    // Exactly one dead letter, written once the DLQ took it: nothing lost, nothing doubled.
    const letters = await drainQueue(await broker.admin(), dlq);
    expect(letters.map((l) => l.properties.messageId as unknown)).toEqual([message.properties.messageId]);
    expect(letters[0]!.properties.headers).toMatchObject({
      'x-error-class': 'permanent',
      'x-error-message': 'order 42 does not exist',
    });
  });
});
