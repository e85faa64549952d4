// Batch messages against the real broker: each message a batch carries is a delivery of its own
// (handled, retried or dead-lettered alone), and the batch is settled once.
import type { GetMessage } from 'amqplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sagaContracts, type ContractRegistry } from './contracts/index.js';
import { Consumer, type DeliveryOutcome, type RejectedMessage } from './consumer.js';
import { Header, type InboundMessage, type OutgoingMessage } from './envelope.js';
import { PermanentError, TransientError } from './errors.js';
import type { Logger } from './logger.js';
import { batchByQueue, MESSAGE_BATCH_TYPE, singleQueueRoutes } from './message-batch.js';
import { ConfirmPublisher } from './publisher.js';
import { orderConfirm } from './test-support/messages.js';
import { createTestBroker, drainQueue, eventually, settledQueue, type TestBroker } from './testing.js';
import { declareTopology } from './topology.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The order worker's contracts: a command for another worker is an unknown type on its queue. */
const orderContracts: ContractRegistry = Object.fromEntries(
  Object.entries(sagaContracts).filter(([type]) => type.startsWith('order.')),
);

describe('batch messages', () => {
  let broker: TestBroker;
  let publisher: ConfirmPublisher;
  let producer: ConfirmPublisher;
  let consumer: Consumer | undefined;
  const handled: InboundMessage[] = [];
  const outcomes: DeliveryOutcome[] = [];
  const warnings: string[] = [];
  /** Message ids the handler refuses for good. */
  const refused = new Set<string>();
  /** Message ids the handler fails once with a transient error. */
  const failOnce = new Set<string>();

  const logger: Logger = {
    info: () => {},
    warn: (_fields, message) => void warnings.push(message),
    error: (_fields, message) => void warnings.push(message),
  };

  beforeEach(async () => {
    handled.length = 0;
    outcomes.length = 0;
    warnings.length = 0;
    refused.clear();
    failOnce.clear();
    broker = await createTestBroker({ retryTiers: [{ name: '200ms', delayMs: 200 }] });
    publisher = new ConfirmPublisher(broker.connection, { timeoutMs: 3_000 });
    producer = new ConfirmPublisher(broker.connection);
  });
  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
    await publisher.close();
    await producer.close();
    await broker.cleanup();
  });

  const queue = () => broker.topology.queues.commands.order;
  const dlq = () => broker.topology.queues.deadLetters[queue()]!;

  function reject(messages: readonly InboundMessage[]): RejectedMessage[] {
    const rejected: RejectedMessage[] = [];
    for (const message of messages) {
      if (refused.has(message.messageId))
        rejected.push({ message, error: new PermanentError(`order ${message.messageId} is refused`) });
      else if (failOnce.delete(message.messageId))
        rejected.push({ message, error: new TransientError('the database blinked') });
    }
    return rejected;
  }

  function start(mode: 'batch' | 'single' = 'batch') {
    const handle = async (messages: readonly InboundMessage[]) => {
      handled.push(...messages);
      return reject(messages);
    };
    consumer = new Consumer({
      connection: broker.connection,
      topology: broker.topology,
      queue: queue(),
      contracts: orderContracts,
      publisher,
      retry: { tiers: broker.topology.retryTiers, maxAttempts: 3, jitter: 0 },
      consumerName: 'order-worker-test',
      logger,
      onOutcome: (outcome) => outcomes.push(outcome),
      ...(mode === 'batch'
        ? { batchHandler: handle }
        : {
            handler: async (message: InboundMessage) => {
              const [rejected] = await handle([message]);
              if (rejected) throw rejected.error;
            },
          }),
    });
    return consumer.started;
  }

  /** Publishes `messages` packed as the processes pack them: one batch message for the queue. */
  async function publishPacked(messages: readonly OutgoingMessage[]) {
    const packed = batchByQueue(messages, singleQueueRoutes(broker.topology));
    expect(packed.map((m) => m.properties.type)).toEqual([MESSAGE_BATCH_TYPE]);
    expect(packed[0]).toMatchObject({ exchange: '', routingKey: queue() });
    await producer.publish(packed[0]!);
  }

  async function deadLetters(count: number, withinMs = 15_000): Promise<GetMessage[]> {
    const found: GetMessage[] = [];
    await eventually(async () => {
      found.push(...(await drainQueue(await broker.admin(), dlq())));
      return found.length >= count;
    }, withinMs);
    await sleep(1_000);
    found.push(...(await drainQueue(await broker.admin(), dlq())));
    return found;
  }

  async function stop() {
    await consumer?.stop();
    consumer = undefined;
    return settledQueue(await broker.admin(), queue());
  }

  const runsOf = (id: string) => handled.filter((m) => m.messageId === id).length;

  it.each(['batch', 'single'] as const)(
    '%s handler: the good messages run once, a poison one is dead-lettered alone on its own route, a failing one is retried alone; the batch is acked once',
    async (mode) => {
      await start(mode);
      const goods = Array.from({ length: 5 }, () => orderConfirm(broker.topology));
      const broken = orderConfirm(broker.topology, { content: Buffer.from('{"orderId":"not-a-uuid"}') });
      const flaky = orderConfirm(broker.topology);
      const refusedOne = orderConfirm(broker.topology);
      failOnce.add(flaky.properties.messageId);
      refused.add(refusedOne.properties.messageId);
      await publishPacked([goods[0]!, broken, goods[1]!, flaky, goods[2]!, refusedOne, goods[3]!, goods[4]!]);

      const letters = await deadLetters(2);
      const byId = new Map(letters.map((l) => [l.properties.messageId as string, l]));
      expect([...byId.keys()].sort()).toEqual(
        [broken.properties.messageId, refusedOne.properties.messageId].sort(),
      );
      // Each dead letter is the message as it was sent, on the route its own message had.
      const brokenLetter = byId.get(broken.properties.messageId)!;
      expect(brokenLetter.content.toString()).toBe('{"orderId":"not-a-uuid"}');
      expect(brokenLetter.properties.type).toBe('order.confirm');
      expect(brokenLetter.properties.correlationId).toBe(broken.properties.correlationId);
      expect(brokenLetter.properties.headers).toMatchObject({
        [Header.errorClass]: 'permanent',
        [Header.originalExchange]: broker.topology.exchanges.commands,
        [Header.originalRoutingKey]: 'order.confirm',
        [Header.originalQueue]: queue(),
      });
      expect(String(brokenLetter.properties.headers![Header.errorMessage])).toContain('payload.orderId');
      expect(byId.get(refusedOne.properties.messageId)!.properties.headers).toMatchObject({
        [Header.errorMessage]: `order ${refusedOne.properties.messageId} is refused`,
      });

      // The flaky one came back alone from its retry tier, and ran again.
      expect(await eventually(() => runsOf(flaky.properties.messageId) === 2)).toBe(true);
      expect(
        handled.find((m) => m.messageId === flaky.properties.messageId && m.attempt === 2),
      ).toBeDefined();
      expect(await stop()).toBe(0);
      for (const good of goods) expect(runsOf(good.properties.messageId)).toBe(1);
      expect(runsOf(broken.properties.messageId)).toBe(0);
      expect(runsOf(refusedOne.properties.messageId)).toBe(1);
      expect(outcomes.filter((o) => o === 'dead-lettered')).toHaveLength(2);
      expect(outcomes.filter((o) => o === 'retried')).toHaveLength(1);
      // The batch was settled once: a second ack of its delivery tag would have closed the channel.
      expect(warnings.filter((w) => /channel|settle|ack/.test(w))).toEqual([]);
    },
  );

  it('dead-letters a batch that cannot be read whole, with the reason naming the field', async () => {
    await start();
    const [template] = batchByQueue(
      [orderConfirm(broker.topology), orderConfirm(broker.topology)],
      singleQueueRoutes(broker.topology),
    );
    const empty = { ...template!, content: Buffer.from('{"messages":[]}') };
    const garbled = {
      ...template!,
      content: Buffer.from('{"messages":[{'),
      properties: { ...template!.properties, messageId: crypto.randomUUID() },
    };
    await producer.publish(empty);
    await producer.publish(garbled);
    const letters = await deadLetters(2);
    expect(letters.map((l) => l.properties.type as string)).toEqual([MESSAGE_BATCH_TYPE, MESSAGE_BATCH_TYPE]);
    const reasons = letters.map((l) => String(l.properties.headers![Header.errorMessage]));
    expect(reasons.some((r) => r.includes('body.messages'))).toBe(true);
    expect(reasons.some((r) => r.includes('not valid JSON'))).toBe(true);
    // The letters keep the batch as it came, so an operator can read, edit and replay it.
    expect(letters.map((l) => l.content.toString()).sort()).toEqual(
      ['{"messages":[{', '{"messages":[]}'].sort(),
    );
    expect(handled).toEqual([]);
    expect(await stop()).toBe(0);
  });

  it('gives a message of a type not bound to the queue the queue as its route: a batch cannot send a replay elsewhere', async () => {
    await start();
    const unbound = orderConfirm(broker.topology, { type: 'payment.charge' });
    // It even claims, in the headers a dead letter keeps, to have come from the payment route.
    const stray = {
      ...unbound,
      properties: {
        ...unbound.properties,
        headers: {
          ...(unbound.properties.headers as Record<string, unknown>),
          [Header.originalExchange]: broker.topology.exchanges.commands,
          [Header.originalRoutingKey]: 'payment.charge',
        },
      },
    };
    await publishPacked([orderConfirm(broker.topology), stray]);
    const [letter] = await deadLetters(1);
    expect(letter!.properties.messageId).toBe(stray.properties.messageId);
    expect(letter!.properties.headers).toMatchObject({
      [Header.originalExchange]: '',
      [Header.originalRoutingKey]: queue(),
      [Header.errorName]: 'UnknownMessageTypeError',
    });
    expect(await stop()).toBe(0);
  });

  it('the DLQ deleted: the batch is held unacked, its good messages done once; its poison message dead-lettered once when the DLQ is back', async () => {
    await (await broker.admin()).deleteQueue(dlq());
    await start();
    const goods = Array.from({ length: 4 }, () => orderConfirm(broker.topology));
    const bad = orderConfirm(broker.topology);
    refused.add(bad.properties.messageId);
    await publishPacked([goods[0]!, goods[1]!, bad, goods[2]!, goods[3]!]);
    expect(await eventually(() => goods.every((g) => runsOf(g.properties.messageId) === 1))).toBe(true);
    // A single message sent meanwhile is handled: the held batch does not stop the queue.
    const later = orderConfirm(broker.topology);
    await producer.publish(later);
    expect(await eventually(() => runsOf(later.properties.messageId) === 1)).toBe(true);
    await sleep(2_000);
    // Held, not bounced: the broker did not deliver the batch again.
    expect(runsOf(bad.properties.messageId)).toBe(1);

    await declareTopology(await broker.admin(), broker.topology); // the DLQ is back
    const letters = await deadLetters(1);
    expect(letters.map((l) => l.properties.messageId as unknown)).toEqual([bad.properties.messageId]);
    expect(await stop()).toBe(0);
    for (const good of goods) expect(runsOf(good.properties.messageId)).toBe(1);
    expect(runsOf(bad.properties.messageId)).toBe(1);
    expect(outcomes.filter((o) => o === 'dead-lettered')).toHaveLength(1);
  });
});
