import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sagaContracts } from './contracts/index.js';
import { Consumer, type DeliveryOutcome, type DependencyGate } from './consumer.js';
import { TransientError } from './errors.js';
import type { InboundMessage } from './envelope.js';
import { ConfirmPublisher } from './publisher.js';
import { createTestBroker, drainQueue, eventually, settledQueue, type TestBroker } from './testing.js';
import { orderConfirm } from './test-support/messages.js';
import { declareTopology } from './topology.js';

describe('failed deliveries', () => {
  let broker: TestBroker;
  let publisher: ConfirmPublisher;
  let consumer: Consumer | undefined;
  const handled: InboundMessage[] = [];
  const outcomes: DeliveryOutcome[] = [];
  beforeEach(async () => {
    handled.length = 0;
    outcomes.length = 0;
    broker = await createTestBroker({
      retryTiers: [
        { name: '200ms', delayMs: 200 },
        { name: '400ms', delayMs: 400 },
      ],
    });
    publisher = new ConfirmPublisher(broker.connection);
  });
  afterEach(async () => {
    await consumer?.stop();
    await publisher.close();
    await broker.cleanup();
  });

  function start(
    handler: (message: InboundMessage) => Promise<void>,
    maxAttempts = 4,
    gate?: DependencyGate,
  ) {
    consumer = new Consumer({
      gate,
      connection: broker.connection,
      topology: broker.topology,
      queue: broker.topology.queues.commands.order,
      contracts: sagaContracts,
      publisher,
      retry: { tiers: broker.topology.retryTiers, maxAttempts, jitter: 0 },
      consumerName: 'order-worker-test',
      onOutcome: (outcome) => outcomes.push(outcome),
      handler: async (message) => {
        handled.push(message);
        await handler(message);
      },
    });
    return consumer.started;
  }

  /**
   * Stops the consumer and waits until the broker holds no delivery for it: from then on nothing
   * can be handled again, so "exactly these attempts" can be asserted. Returns what is left in
   * the work queue and in the retry tiers (a retry scheduled but not yet back).
   */
  async function settle() {
    await consumer?.stop();
    consumer = undefined;
    const admin = await broker.admin();
    const { queues } = broker.topology;
    const leftInQueue = await settledQueue(admin, queues.commands.order);
    let waitingInTiers = 0;
    for (const tier of Object.values(queues.retry))
      waitingInTiers += (await admin.checkQueue(tier)).messageCount;
    return { leftInQueue, waitingInTiers };
  }

  async function deadLetters(count: number) {
    const admin = await broker.admin();
    const dlq = broker.topology.queues.deadLetters[broker.topology.queues.commands.order]!;
    const found: Awaited<ReturnType<typeof drainQueue>> = [];
    await eventually(async () => {
      found.push(...(await drainQueue(admin, dlq)));
      return found.length >= count;
    });
    return found;
  }

  it('dead-letters invalid JSON, an unknown type and a contract violation on the first delivery, with the reason', async () => {
    await start(async () => {});
    const invalidJson = orderConfirm(broker.topology, { content: Buffer.from('{"orderId": ') });
    const unknownType = orderConfirm(broker.topology, { type: 'order.teleport' });
    const violation = orderConfirm(broker.topology, { content: Buffer.from('{"orderId":"not-a-uuid"}') });
    for (const m of [invalidJson, unknownType, violation]) await publisher.publish(m);

    const letters = await deadLetters(3);
    expect(letters).toHaveLength(3);
    const byId = new Map(letters.map((l) => [l.properties.messageId as string, l]));
    const headersOf = (m: typeof invalidJson) => byId.get(m.properties.messageId)!.properties.headers!;
    expect(headersOf(invalidJson)).toMatchObject({
      'x-error-class': 'permanent',
      'x-error-name': 'InvalidJsonError',
      'x-attempt': 1,
      'x-original-queue': broker.topology.queues.commands.order,
      'x-original-exchange': broker.topology.exchanges.commands,
      'x-original-routing-key': 'order.confirm',
      'x-failed-by': 'order-worker-test',
    });
    expect(headersOf(unknownType)['x-error-message']).toMatch(/unknown message type "order.teleport"/);
    expect(headersOf(violation)['x-error-message']).toMatch(/payload\.orderId/);
    // The body is kept byte for byte so it can be fixed and replayed.
    expect(byId.get(invalidJson.properties.messageId)!.content.toString()).toBe('{"orderId": ');
    expect(handled).toEqual([]);
  });

  it('retries a transient failure through the delay tiers until it succeeds', async () => {
    await start(async (message) => {
      if (message.attempt < 3) throw new TransientError('downstream timed out');
    });
    const message = orderConfirm(broker.topology);
    await publisher.publish(message);
    expect(await eventually(() => handled.length === 3, 10_000)).toBe(true);
    const { leftInQueue, waitingInTiers } = await settle();
    expect(handled.map((m) => m.attempt)).toEqual([1, 2, 3]);
    expect(handled.every((m) => m.messageId === message.properties.messageId)).toBe(true);
    expect(outcomes).toEqual(['retried', 'retried', 'acked']);
    expect(leftInQueue).toBe(0);
    expect(waitingInTiers).toBe(0);
    const admin = await broker.admin();
    const dlq = broker.topology.queues.deadLetters[broker.topology.queues.commands.order]!;
    expect(await drainQueue(admin, dlq)).toEqual([]);
  });

  it('dead-letters after exactly the configured attempts of a failure that never heals', async () => {
    await start(async () => {
      throw new TransientError('still down');
    }, 3);
    const message = orderConfirm(broker.topology);
    await publisher.publish(message);
    const [letter] = await deadLetters(1);
    // Dead-lettering is the end: two retries, then the dead letter; the delivery is acked, with no
    // third retry, no requeue and no second dead letter.
    const { leftInQueue, waitingInTiers } = await settle();
    expect(outcomes).toEqual(['retried', 'retried', 'dead-lettered']);
    expect(leftInQueue).toBe(0);
    expect(waitingInTiers).toBe(0);
    expect(handled.map((m) => m.attempt)).toEqual([1, 2, 3]);
    const dlq = broker.topology.queues.deadLetters[broker.topology.queues.commands.order]!;
    expect(await drainQueue(await broker.admin(), dlq)).toEqual([]);
    expect(letter!.properties.headers).toMatchObject({
      'x-error-class': 'transient',
      'x-error-message': 'still down',
      'x-attempt': 3,
      'x-original-routing-key': 'order.confirm',
    });
    expect(letter!.properties.headers!['x-first-failure-at']).not.toBe(
      letter!.properties.headers!['x-last-failure-at'],
    );
  });

  // A worker answers a command by publishing its reply (mandatory, confirmed) straight to the
  // replies queue by the default exchange. Right after a broker restart that queue can be missing
  // from the routing table for a moment and the reply comes back unroutable: the command is
  // retried, not dead-lettered; only a queue missing through every retry dead-letters it.
  const answerOnRepliesQueue = () =>
    publisher.publish({
      ...orderConfirm(broker.topology),
      exchange: '',
      routingKey: broker.topology.queues.replies,
    });

  it('retries a command whose reply found no queue, and delivers the reply once the queue is back', async () => {
    const admin = await broker.admin();
    await admin.deleteQueue(broker.topology.queues.replies);
    // The queue comes back while the first retry waits in its delay tier.
    await start(async (message) => {
      if (message.attempt === 2) await declareTopology(await broker.admin(), broker.topology);
      await answerOnRepliesQueue();
    }, 3);
    const command = orderConfirm(broker.topology);
    await publisher.publish(command);

    expect(await eventually(() => outcomes.at(-1) === 'acked', 10_000)).toBe(true);
    const { leftInQueue, waitingInTiers } = await settle();
    expect(outcomes).toEqual(['retried', 'acked']);
    expect(handled.map((m) => [m.messageId, m.attempt])).toEqual([
      [command.properties.messageId, 1],
      [command.properties.messageId, 2],
    ]);
    expect([leftInQueue, waitingInTiers]).toEqual([0, 0]);
    expect((await admin.checkQueue(broker.topology.queues.replies)).messageCount).toBe(1);
    const dlq = broker.topology.queues.deadLetters[broker.topology.queues.commands.order]!;
    expect(await drainQueue(admin, dlq)).toEqual([]);
  });

  it('dead-letters a command whose reply found no queue through every retry, with the reason', async () => {
    await (await broker.admin()).deleteQueue(broker.topology.queues.replies);
    await start(answerOnRepliesQueue, 3);
    const command = orderConfirm(broker.topology);
    await publisher.publish(command);

    const letters = await deadLetters(1);
    expect(outcomes).toEqual(['retried', 'retried', 'dead-lettered']);
    expect(letters).toHaveLength(1);
    expect(letters[0]!.properties.messageId).toBe(command.properties.messageId);
    expect(letters[0]!.properties.headers).toMatchObject({
      'x-error-class': 'transient',
      'x-error-name': 'PublishError',
      'x-attempt': 3,
    });
    expect(letters[0]!.properties.headers!['x-error-message']).toMatch(/no queue is bound/);
  });

  it('holds a delivery through an outage of a gated dependency without spending an attempt', async () => {
    let down = true;
    let waits = 0;
    const outage = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    const gate: DependencyGate = {
      isOutage: (error) => error === outage,
      waitUntilAvailable: async () => {
        waits += 1;
        await new Promise((r) => setTimeout(r, 100));
        if (waits >= 5) down = false;
      },
    };
    // maxAttempts 1: without the gate the first failure would be dead-lettered at once.
    await start(
      async () => {
        if (down) throw outage;
      },
      1,
      gate,
    );
    const message = orderConfirm(broker.topology);
    await publisher.publish(message);
    expect(await eventually(() => !down && handled.length === 6, 10_000)).toBe(true);
    const { leftInQueue, waitingInTiers } = await settle();
    // Every run was the first attempt of the first delivery: no retry, no redelivery, no dead letter.
    expect(handled.map((m) => m.attempt)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(handled.every((m) => !m.raw.fields.redelivered)).toBe(true);
    expect(outcomes).toEqual(['acked']);
    expect(leftInQueue).toBe(0);
    expect(waitingInTiers).toBe(0);
    const admin = await broker.admin();
    const dlq = broker.topology.queues.deadLetters[broker.topology.queues.commands.order]!;
    expect(await drainQueue(admin, dlq)).toEqual([]);
  });
});
