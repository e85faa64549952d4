import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sagaContracts } from './contracts/index.js';
import { Consumer } from './consumer.js';
import { ConfirmPublisher } from './publisher.js';
import { createTestBroker, eventually, settledQueue, type TestBroker } from './testing.js';
import { orderConfirm } from './test-support/messages.js';
import { declareTopology } from './topology.js';

describe('a consumer cancelled by the server', () => {
  let broker: TestBroker;
  let publisher: ConfirmPublisher;
  beforeEach(async () => {
    broker = await createTestBroker();
    publisher = new ConfirmPublisher(broker.connection);
  });
  afterEach(async () => {
    await publisher.close();
    await broker.cleanup();
  });

  it('consumes again after its queue is deleted and declared anew', async () => {
    const queue = broker.topology.queues.commands.order;
    const seen: string[] = [];
    const warnings: string[] = [];
    const consumer = new Consumer({
      logger: { info: () => {}, warn: (_fields, message) => warnings.push(message), error: () => {} },
      connection: broker.connection,
      topology: broker.topology,
      queue,
      contracts: sagaContracts,
      publisher,
      retry: { tiers: [], maxAttempts: 1 },
      consumerName: 'test',
      handler: async (message) => {
        seen.push(message.messageId);
      },
    });
    await consumer.started;
    const before = orderConfirm(broker.topology);
    await publisher.publish(before);
    expect(await eventually(() => seen.includes(before.properties.messageId))).toBe(true);

    const admin = await broker.admin();
    await admin.deleteQueue(queue);
    // The queue comes back only after the consumer has taken the broker's cancel: it must find
    // the new queue by itself, not just keep a subscription that was never cut.
    expect(
      await eventually(() => warnings.includes('subscription cancelled by the broker; resubscribing')),
    ).toBe(true);
    await declareTopology(admin, broker.topology);

    const after = orderConfirm(broker.topology);
    await publisher.publish(after);
    expect(await eventually(() => seen.includes(after.properties.messageId), 20_000)).toBe(true);
    // One subscription, not one per attempt to resubscribe.
    expect((await admin.checkQueue(queue)).consumerCount).toBe(1);
    await consumer.stop();
    expect(await settledQueue(admin, queue)).toBe(0);
    expect(seen).toEqual([before.properties.messageId, after.properties.messageId]);
  });
});
