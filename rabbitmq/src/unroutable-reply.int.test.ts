import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sagaContracts } from './contracts/index.js';
import { Consumer, type DeliveryOutcome } from './consumer.js';
import type { InboundMessage } from './envelope.js';
import { ConfirmPublisher } from './publisher.js';
import { createTestBroker, drainQueue, eventually, settledQueue, type TestBroker } from './testing.js';
import { orderConfirm } from './test-support/messages.js';
import { declareTopology } from './topology.js';

// A worker answers a command by publishing its reply (mandatory, confirmed) straight to the
// replies queue by the default exchange. Right after a broker restart that queue can be missing
// from the routing table for a moment and the reply comes back unroutable: the command must be
// retried, not dead-lettered; only a queue that stays missing through every retry dead-letters it.
describe('a reply with no queue to take it', () => {
  let broker: TestBroker;
  let publisher: ConfirmPublisher;
  let consumer: Consumer | undefined;
  const handled: InboundMessage[] = [];
  const outcomes: DeliveryOutcome[] = [];

  beforeEach(async () => {
    handled.length = 0;
    outcomes.length = 0;
    broker = await createTestBroker({ retryTiers: [{ name: '200ms', delayMs: 200 }] });
    publisher = new ConfirmPublisher(broker.connection);
  });
  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
    await publisher.close();
    await broker.cleanup();
  });

  /** Consumes the order queue and answers each command on the replies queue, as a worker does. */
  function start(onAttempt: (attempt: number) => Promise<void> = async () => {}) {
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
        await onAttempt(message.attempt);
        await publisher.publish({
          ...orderConfirm(broker.topology),
          exchange: '',
          routingKey: broker.topology.queues.replies,
        });
      },
    });
    return consumer.started;
  }

  const dlq = () => broker.topology.queues.deadLetters[broker.topology.queues.commands.order]!;

  it('retries the command and delivers the reply once the queue is back', async () => {
    const admin = await broker.admin();
    await admin.deleteQueue(broker.topology.queues.replies);
    // The queue comes back while the first retry waits in its delay tier.
    await start(async (attempt) => {
      if (attempt === 2) await declareTopology(await broker.admin(), broker.topology);
    });
    const command = orderConfirm(broker.topology);
    await publisher.publish(command);

    expect(await eventually(() => outcomes.at(-1) === 'acked', 10_000)).toBe(true);
    expect(outcomes).toEqual(['retried', 'acked']);
    expect(handled.map((m) => [m.messageId, m.attempt])).toEqual([
      [command.properties.messageId, 1],
      [command.properties.messageId, 2],
    ]);
    await consumer!.stop();
    consumer = undefined;
    expect(await settledQueue(admin, broker.topology.queues.commands.order)).toBe(0);
    expect((await admin.checkQueue(broker.topology.queues.replies)).messageCount).toBe(1);
    expect(await drainQueue(admin, dlq())).toEqual([]);
  });

  it('dead-letters the command with the reason when the queue stays missing through every retry', async () => {
    const admin = await broker.admin();
    await admin.deleteQueue(broker.topology.queues.replies);
    await start();
    const command = orderConfirm(broker.topology);
    await publisher.publish(command);

    expect(await eventually(() => outcomes.at(-1) === 'dead-lettered', 10_000)).toBe(true);
    expect(outcomes).toEqual(['retried', 'retried', 'dead-lettered']);
    const letters: Awaited<ReturnType<typeof drainQueue>> = [];
    await eventually(async () => {
      letters.push(...(await drainQueue(admin, dlq())));
      return letters.length > 0;
    });
    expect(letters).toHaveLength(1);
    expect(letters[0]!.properties.messageId).toBe(command.properties.messageId);
    expect(letters[0]!.properties.headers).toMatchObject({
      'x-error-class': 'transient',
      'x-error-name': 'PublishError',
      'x-attempt': 3,
    });
    expect(letters[0]!.properties.headers!['x-error-message']).toMatch(/no queue is bound/);
  });
});
