// The dead-letter target unavailable: the DLQ deleted, or the dead-letter exchange deleted. A
// failed delivery must stay in its queue (held unacked, or back in the queue when its consumer
// stops), nothing is lost, the other messages go on, and once the target is back the message is
// dead-lettered once, with its reason.
import type { GetMessage } from 'amqplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sagaContracts } from './contracts/index.js';
import { Consumer, type DeliveryOutcome, type RejectedMessage } from './consumer.js';
import type { InboundMessage } from './envelope.js';
import { PermanentError } from './errors.js';
import { ConfirmPublisher } from './publisher.js';
import { orderConfirm } from './test-support/messages.js';
import { createTestBroker, drainQueue, eventually, settledQueue, type TestBroker } from './testing.js';
import { declareTopology } from './topology.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the dead-letter target unavailable', () => {
  let broker: TestBroker;
  /** The consumer's, for its retries and dead letters. */
  let publisher: ConfirmPublisher;
  /** The test's own, standing for the processes that send commands. */
  let producer: ConfirmPublisher;
  let consumer: Consumer | undefined;
  const handled: InboundMessage[] = [];
  const outcomes: DeliveryOutcome[] = [];
  /** Message ids the handler refuses (a permanent failure: dead-lettered at once). */
  const poison = new Set<string>();
  beforeEach(async () => {
    handled.length = 0;
    outcomes.length = 0;
    poison.clear();
    broker = await createTestBroker();
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

  /** A batch consumer of the order commands, as the workers run: it refuses the poison messages. */
  function start() {
    consumer = new Consumer({
      connection: broker.connection,
      topology: broker.topology,
      queue: queue(),
      contracts: sagaContracts,
      publisher,
      retry: { tiers: broker.topology.retryTiers, maxAttempts: 3, jitter: 0 },
      consumerName: 'order-worker-test',
      onOutcome: (outcome) => outcomes.push(outcome),
      batchHandler: async (messages) => {
        handled.push(...messages);
        const rejected: RejectedMessage[] = [];
        for (const message of messages) {
          if (poison.has(message.messageId))
            rejected.push({ message, error: new PermanentError(`order ${message.messageId} is refused`) });
        }
        return rejected;
      },
    });
    return consumer.started;
  }

  async function stop() {
    await consumer?.stop();
    consumer = undefined;
    return settledQueue(await broker.admin(), queue());
  }

  /** The dead letters that arrive within `ms`, and any other in the two seconds after the first. */
  async function deadLettersWithin(ms: number): Promise<GetMessage[]> {
    const found: GetMessage[] = [];
    await eventually(async () => {
      found.push(...(await drainQueue(await broker.admin(), dlq())));
      return found.length > 0;
    }, ms);
    await sleep(2_000);
    found.push(...(await drainQueue(await broker.admin(), dlq())));
    return found;
  }

  async function publishPoisonAndGood(good: number) {
    const bad = orderConfirm(broker.topology);
    poison.add(bad.properties.messageId);
    await producer.publish(bad);
    const goods = Array.from({ length: good }, () => orderConfirm(broker.topology));
    for (const message of goods) await producer.publish(message);
    return { bad, goods };
  }

  it('the DLQ deleted: the message is held in its queue, handled once, the rest goes on; dead-lettered once, with its reason, when the DLQ is back', async () => {
    await (await broker.admin()).deleteQueue(dlq());
    await start();
    const { bad, goods } = await publishPoisonAndGood(5);
    expect(
      await eventually(() => goods.every((g) => handled.some((h) => h.messageId === g.properties.messageId))),
    ).toBe(true);
    await sleep(3_000);
    // Held, not bounced: the broker did not redeliver it again and again (nor dead-letter it on its own).
    const runs = handled.filter((h) => h.messageId === bad.properties.messageId);
    expect(runs).toHaveLength(1);
    expect((await (await broker.admin()).checkQueue(queue())).consumerCount).toBe(1);

    await declareTopology(await broker.admin(), broker.topology); // the DLQ is back
    const letters = await deadLettersWithin(15_000);
    expect(letters.map((l) => l.properties.messageId as unknown)).toEqual([bad.properties.messageId]);
    expect(letters[0]!.properties.headers).toMatchObject({
      'x-error-class': 'permanent',
      'x-error-message': `order ${bad.properties.messageId} is refused`,
      'x-original-queue': queue(),
    });
    expect(letters[0]!.properties.headers!['x-death']).toBeUndefined();
    expect(await stop()).toBe(0);
    expect(handled.filter((h) => h.messageId === bad.properties.messageId)).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'dead-lettered')).toHaveLength(1);
  });

  it('the dead-letter exchange deleted: the message stays in its queue when its consumer stops, the publisher goes on; dead-lettered once when the exchange is back', async () => {
    const admin = await broker.admin();
    await admin.deleteExchange(broker.topology.exchanges.deadLetters);
    await start();
    const { bad, goods } = await publishPoisonAndGood(5);
    expect(
      await eventually(() => goods.every((g) => handled.some((h) => h.messageId === g.properties.messageId))),
    ).toBe(true);
    await sleep(3_000);
    // Each try closed the consumer's publishing channel (404), not the connection: the consumer
    // held on to the delivery, and the publisher publishes again between the tries.
    expect(handled.filter((h) => h.messageId === bad.properties.messageId)).toHaveLength(1);
    expect(
      await eventually(() =>
        publisher.publish(orderConfirm(broker.topology)).then(
          () => true,
          () => false,
        ),
      ),
    ).toBe(true);
    // Its consumer stopping, the message goes back to its queue: nothing lost.
    expect(await stop()).toBe(1);

    await declareTopology(await broker.admin(), broker.topology); // the exchange is back, and its bindings
    await start();
    const letters = await deadLettersWithin(10_000);
    expect(letters.map((l) => l.properties.messageId as unknown)).toEqual([bad.properties.messageId]);
    expect(letters[0]!.properties.headers).toMatchObject({
      'x-error-message': `order ${bad.properties.messageId} is refused`,
    });
    expect(letters[0]!.properties.headers!['x-death']).toBeUndefined();
    expect(await stop()).toBe(0);
  });
});
