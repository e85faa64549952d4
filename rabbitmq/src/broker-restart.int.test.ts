import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sagaContracts } from './contracts/index.js';
import { Consumer } from './consumer.js';
import { ConfirmPublisher, PublishError } from './publisher.js';
import { createTestBroker, eventually, PrivateBroker, type TestBroker } from './testing.js';
import { orderConfirm } from './test-support/messages.js';

// The restart happens on a RabbitMQ node of this test's own (PrivateBroker), never on the shared one.
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('a broker restart in the middle of a publish burst', () => {
  let node: PrivateBroker;
  let broker: TestBroker;
  beforeAll(async () => {
    node = await PrivateBroker.start();
    broker = await createTestBroker({ url: node.url });
  });
  afterAll(async () => {
    await broker?.cleanup();
    await node?.dispose();
  });

  it('settles every publish, confirms publishes once it is back, and the consumer from before gets them', async () => {
    const queue = broker.topology.queues.commands.order;
    const publisher = new ConfirmPublisher(broker.connection, { maxInFlight: 200, timeoutMs: 15_000 });
    // The consumer exists before the restart: after it, it must subscribe again by itself.
    const delivered = new Set<string>();
    const consumer = new Consumer({
      connection: broker.connection,
      topology: broker.topology,
      queue,
      contracts: sagaContracts,
      publisher,
      retry: { tiers: [], maxAttempts: 1 },
      consumerName: 'test',
      prefetch: 500,
      handler: async (message) => {
        delivered.add(message.messageId);
      },
    });
    await consumer.started;

    const outcomes = new Map<string, 'confirmed' | PublishError['reason']>();
    const publishes: Promise<void>[] = [];
    /** Ids of the messages published after the broker was back (`await_startup` returned). */
    const publishedAfter: string[] = [];
    const publishBatch = (size: number, after = false) => {
      for (let i = 0; i < size; i += 1) {
        const message = orderConfirm(broker.topology);
        const id = message.properties.messageId;
        if (after) publishedAfter.push(id);
        publishes.push(
          publisher.publish(message).then(
            () => void outcomes.set(id, 'confirmed'),
            (error: unknown) => {
              if (!(error instanceof PublishError)) throw error;
              outcomes.set(id, error.reason);
            },
          ),
        );
      }
    };
    let disconnects = 0;
    let publishedWhileDown = 0;
    broker.connection.on('disconnect', () => (disconnects += 1));
    // A steady burst (about 2,000 msg/s) from before the broker stops until after it is back.
    let restartDone = false;
    for (let i = 0; i < 50; i += 1) {
      publishBatch(40);
      await sleep(20);
    }
    const restart = node.restartApp(2_000).finally(() => (restartDone = true));
    while (!restartDone) {
      if (!broker.connection.isConnected()) publishedWhileDown += 40;
      publishBatch(40);
      await sleep(20);
    }
    await restart;
    for (let i = 0; i < 50; i += 1) {
      publishBatch(40, true);
      await sleep(20);
    }

    // None hangs: every publish settles within its timeout.
    const settled = await Promise.race([
      Promise.all(publishes).then(() => true),
      sleep(60_000).then(() => false),
    ]);
    expect(settled).toBe(true);
    expect(outcomes.size).toBe(publishes.length);
    const confirmed = [...outcomes].filter(([, o]) => o === 'confirmed').map(([id]) => id);
    const rejected = [...outcomes.values()].filter((o) => o !== 'confirmed');
    // The restart really cut into the burst (the connection dropped while publishing), and every
    // rejection says why. Whether any publish is rejected depends on timing: the broker may confirm
    // everything in flight before it closes the connection.
    expect(disconnects).toBeGreaterThan(0);
    expect(publishedWhileDown).toBeGreaterThan(0);
    expect(rejected.every((r) => r === 'connection-lost' || r === 'timeout')).toBe(true);
    // Once the broker is back, publishing works again: every publish made after it is confirmed.
    expect(publishedAfter).toHaveLength(2_000);
    expect(publishedAfter.filter((id) => outcomes.get(id) !== 'confirmed')).toEqual([]);

    // The consumer created before the restart receives what was published after it, and every
    // other confirmed message: nothing the broker confirmed is lost.
    await eventually(() => confirmed.every((id) => delivered.has(id)), 60_000);
    expect(publishedAfter.filter((id) => !delivered.has(id))).toEqual([]);
    expect(confirmed.filter((id) => !delivered.has(id))).toEqual([]);
    // It subscribed once again, not twice.
    const admin = await broker.admin();
    expect((await admin.checkQueue(queue)).consumerCount).toBe(1);
    await consumer.stop();
    await publisher.close();
    console.info(
      `restart burst: ${publishes.length} published, ${confirmed.length} confirmed, ${rejected.length} rejected, ${delivered.size} delivered`,
    );
  });
});
