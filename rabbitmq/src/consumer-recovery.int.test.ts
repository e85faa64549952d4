import type { Channel, Message } from 'amqplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sagaContracts } from './contracts/index.js';
import { Consumer } from './consumer.js';
import { ConfirmPublisher } from './publisher.js';
import {
  canControlBroker,
  closeConnection,
  createTestBroker,
  eventually,
  settledQueue,
  type TestBroker,
} from './testing.js';
import { orderConfirm } from './test-support/messages.js';

// Closing a connection from the broker's side needs `rabbitmqctl`; as in the broker-restart test,
// only an explicit opt-out skips it.
const optedOut = process.env.SAGAPORT_SKIP_BROKER_RESTART === '1';
const controllable = optedOut ? false : await canControlBroker();
if (!optedOut && !controllable) {
  throw new Error(
    'rabbitmqctl cannot control the broker: set RABBITMQCTL, or SAGAPORT_SKIP_BROKER_RESTART=1 for a remote broker',
  );
}

describe.skipIf(!controllable)('a consumer whose connection or channel the broker closes', () => {
  let broker: TestBroker;
  let publisher: ConfirmPublisher;
  let consumer: Consumer | undefined;
  const seen: string[] = [];
  const warnings: string[] = [];

  beforeEach(async () => {
    seen.length = 0;
    warnings.length = 0;
    broker = await createTestBroker();
    publisher = new ConfirmPublisher(broker.connection);
    consumer = new Consumer({
      connection: broker.connection,
      topology: broker.topology,
      queue: broker.topology.queues.commands.order,
      contracts: sagaContracts,
      publisher,
      retry: { tiers: [], maxAttempts: 1 },
      consumerName: 'test',
      logger: { info: () => {}, warn: (_fields, message) => warnings.push(message), error: () => {} },
      handler: async (message) => {
        seen.push(message.messageId);
      },
    });
    await consumer.started;
  });
  afterEach(async () => {
    await consumer?.stop();
    await publisher.close();
    await broker.cleanup();
  });

  /** Publishes one message and returns its id once the consumer has handled it (or after 20 s). */
  async function roundTrip(): Promise<string> {
    const message = orderConfirm(broker.topology);
    await publisher.publish(message);
    await eventually(() => seen.includes(message.properties.messageId));
    return message.properties.messageId;
  }

  /** Stops the consumer; then asserts that each message was handled exactly once and none is left. */
  async function expectHandledOnce(ids: string[]) {
    await consumer!.stop();
    consumer = undefined;
    const admin = await broker.admin();
    expect(await settledQueue(admin, broker.topology.queues.commands.order)).toBe(0);
    expect(seen).toEqual(ids);
  }

  it('subscribes again after the broker closed its connection and gets what is published afterwards', async () => {
    const before = await roundTrip();
    expect(seen).toEqual([before]);
    let reconnects = 0;
    broker.connection.on('connect', () => (reconnects += 1));

    expect(await closeConnection(broker.connectionName)).toBe(1);
    expect(await eventually(() => reconnects > 0)).toBe(true);

    const after = await roundTrip();
    expect(seen).toContain(after);
    // One subscription again: not none, not one per recovery path.
    const admin = await broker.admin();
    expect((await admin.checkQueue(broker.topology.queues.commands.order)).consumerCount).toBe(1);
    await expectHandledOnce([before, after]);
  });

  it('subscribes again after the broker closed its channel with a channel error, on the same connection', async () => {
    const before = await roundTrip();
    expect(seen).toEqual([before]);
    let disconnects = 0;
    broker.connection.on('disconnect', () => (disconnects += 1));

    // Acknowledging a delivery tag the broker never sent is a channel error (PRECONDITION_FAILED):
    // the broker closes that channel and nothing else. A handler library acking twice, or the
    // broker's delivery acknowledgement timeout, end the same way. The test reaches the
    // consumer's private channel to provoke it.
    const channel = (consumer as unknown as { channel: Channel | undefined }).channel;
    expect(channel).toBeDefined();
    const closed = new Promise<void>((resolve) => channel!.once('close', () => resolve()));
    channel!.ack({ fields: { deliveryTag: 999_999 } } as Message);
    await closed;

    const after = await roundTrip();
    expect(seen).toContain(after);
    // The error cost the consumer its channel only: the connection, which the publisher and
    // every other channel of the process share, stayed up, and the consumer reopened its channel.
    expect(disconnects).toBe(0);
    expect(warnings).toContain('consumer channel closed by the broker; reopening');
    const admin = await broker.admin();
    expect((await admin.checkQueue(broker.topology.queues.commands.order)).consumerCount).toBe(1);
    await expectHandledOnce([before, after]);
  });
});
