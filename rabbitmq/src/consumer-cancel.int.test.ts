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
      stallCheckMs: 500,
      // Batches with held acks, as the workers consume.
      batchHandler: async (messages) => {
        for (const message of messages) seen.push(message.messageId);
      },
    });
    await consumer.started;
    const before = orderConfirm(broker.topology);
    await publisher.publish(before);
    expect(await eventually(() => seen.includes(before.properties.messageId))).toBe(true);

    const admin = await broker.admin();
    const published = [before.properties.messageId];
    // Once with the cancel taken before the queue comes back, twice with the queue back at once.
    for (let round = 1; round <= 3; round += 1) {
      const cancels = warnings.length;
      await admin.deleteQueue(queue);
      if (round === 1) {
        // The queue comes back only after the consumer has taken the broker's cancel: it must find
        // the new queue by itself, not just keep a subscription that was never cut.
        expect(
          await eventually(
            () =>
              warnings.length > cancels &&
              warnings.at(-1) === 'subscription cancelled by the broker; resubscribing on a new channel',
          ),
        ).toBe(true);
      }
      // Then declared anew at once, as a redeploy does: the broker may hand the old subscription
      // to the new queue without a cancel, and hold its deliveries back (see Consumer).
      await declareTopology(admin, broker.topology);
      // More than a prefetch window (50): a window swallowed by a stale subscription would leave some behind.
      const after = Array.from({ length: 60 }, () => orderConfirm(broker.topology));
      await Promise.all(after.map((message) => publisher.publish(message)));
      published.push(...after.map((message) => message.properties.messageId));
      expect(await eventually(() => seen.length === published.length, 20_000)).toBe(true);
      // One subscription, not one per attempt to resubscribe.
      expect((await admin.checkQueue(queue)).consumerCount).toBe(1);
    }
    await consumer.stop();
    expect(await settledQueue(admin, queue)).toBe(0);
    expect(seen).toEqual(published);
  });
});
