// Messages over the size limit (AMQP_MAX_MESSAGE_BYTES), on the real broker: the publisher refuses
// one at once with a permanent error, and a consumer dead-letters one it receives on the first
// delivery, unread, with the reason.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sagaContracts } from './contracts/index.js';
import { Consumer, type DeliveryOutcome } from './consumer.js';
import type { InboundMessage } from './envelope.js';
import { classifyError, FailureClass } from './errors.js';
import { ConfirmPublisher, PublishError } from './publisher.js';
import { orderConfirm } from './test-support/messages.js';
import { createTestBroker, drainQueue, eventually, settledQueue, type TestBroker } from './testing.js';

const limit = 64 * 1024;

describe('messages over the size limit', () => {
  let broker: TestBroker;
  let publisher: ConfirmPublisher;
  let consumer: Consumer | undefined;
  beforeEach(async () => {
    broker = await createTestBroker();
    publisher = new ConfirmPublisher(broker.connection, { maxMessageBytes: limit });
  });
  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
    await publisher.close();
    await broker.cleanup();
  });

  it('the publisher refuses a body over the limit at once, with a permanent error, and sends one at the limit', async () => {
    const over = orderConfirm(broker.topology, { content: Buffer.alloc(limit + 1, 'a') });
    const started = performance.now();
    const error = (await publisher.publish(over).catch((e: unknown) => e)) as PublishError;
    expect(performance.now() - started).toBeLessThan(100);
    expect(error).toBeInstanceOf(PublishError);
    expect(error.reason).toBe('too-large');
    expect(error.message).toBe(
      `a message of ${limit + 1} bytes is over the limit of ${limit} bytes (AMQP_MAX_MESSAGE_BYTES)`,
    );
    // A worker whose reply is refused so dead-letters its command: it is never retried.
    expect(classifyError(error)).toBe(FailureClass.permanent);

    const atLimit = orderConfirm(broker.topology, { content: Buffer.alloc(limit, 'a') });
    await publisher.publish(atLimit);
    const received = await drainQueue(await broker.admin(), broker.topology.queues.commands.order);
    expect(received.map((m) => m.properties.messageId as unknown)).toEqual([atLimit.properties.messageId]);
  });

  it('a consumer dead-letters a delivery over the limit on its first delivery, unread, with the reason; the others go on', async () => {
    const handled: InboundMessage[] = [];
    const outcomes: DeliveryOutcome[] = [];
    const queue = broker.topology.queues.commands.order;
    consumer = new Consumer({
      connection: broker.connection,
      topology: broker.topology,
      queue,
      contracts: sagaContracts,
      publisher,
      retry: { tiers: broker.topology.retryTiers, maxAttempts: 3, jitter: 0 },
      consumerName: 'order-worker-test',
      onOutcome: (outcome) => outcomes.push(outcome),
      batchHandler: async (messages) => {
        handled.push(...messages);
      },
    });
    await consumer.started;
    // Sent by a producer that does not check (the broker's own limit is higher): 200 KiB.
    const big = orderConfirm(broker.topology, { content: Buffer.alloc(200 * 1024, 'b') });
    const good = orderConfirm(broker.topology);
    const producer = new ConfirmPublisher(broker.connection, { maxMessageBytes: 1024 * 1024 });
    for (const m of [big, good]) await producer.publish(m);
    await producer.close();

    const dlq = broker.topology.queues.deadLetters[queue]!;
    const letters: Awaited<ReturnType<typeof drainQueue>> = [];
    expect(
      await eventually(async () => {
        letters.push(...(await drainQueue(await broker.admin(), dlq)));
        return letters.length > 0 && handled.length > 0;
      }),
    ).toBe(true);
    await consumer.stop();
    consumer = undefined;
    expect(await settledQueue(await broker.admin(), queue)).toBe(0);
    expect(handled.map((m) => m.messageId)).toEqual([good.properties.messageId]);
    expect(outcomes.sort()).toEqual(['acked', 'dead-lettered']);
    expect(letters).toHaveLength(1);
    const [letter] = letters;
    expect(letter!.properties.messageId).toBe(big.properties.messageId);
    expect(letter!.properties.headers).toMatchObject({
      'x-error-class': 'permanent',
      'x-error-name': 'MessageTooLargeError',
      'x-error-message': `a message of ${200 * 1024} bytes is over the limit of ${limit} bytes (AMQP_MAX_MESSAGE_BYTES)`,
      'x-attempt': 1,
      'x-body-truncated-from': 200 * 1024,
    });
    // The dead letter keeps the start of the body (it fits under the limit), to show what it was.
    expect(letter!.content.equals(big.content.subarray(0, 64 * 1024))).toBe(true);
  });
});
