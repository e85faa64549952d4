import { randomUUID } from 'node:crypto';
import { DatabaseGate, deadLetters, messageRetries } from '@sagaport/db';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@sagaport/db/testing';
import {
  buildMessage,
  ConfirmPublisher,
  Consumer,
  Header,
  routeOf,
  sagaContracts,
  silentLogger,
  TransientError,
} from '@sagaport/rabbitmq';
import { createTestBroker, eventually, type TestBroker } from '@sagaport/rabbitmq/testing';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DeadLetterArchiver } from './archiver.js';

describe('dead-letter archiver (real RabbitMQ and PostgreSQL)', () => {
  let broker: TestBroker;
  let database: MigratedTestDatabase;
  let publisher: ConfirmPublisher;
  let archiver: DeadLetterArchiver;
  let consumer: Consumer | undefined;

  beforeEach(async () => {
    broker = await createTestBroker({ retryTiers: [{ name: '100ms', delayMs: 100 }], deliveryLimit: 2 });
    database = await createMigratedTestDatabase(4, 'archiver-test');
    publisher = new ConfirmPublisher(broker.connection);
    const gate = new DatabaseGate({ probe: () => database.sql`select 1` });
    archiver = new DeadLetterArchiver({
      db: database.db,
      connection: broker.connection,
      topology: broker.topology,
      gate,
      logger: silentLogger,
    });
    await archiver.start();
  });
  afterEach(async () => {
    await consumer?.stop();
    consumer = undefined;
    await archiver.stop();
    await publisher.close();
    await broker.cleanup();
    await database.dispose();
  });

  const paymentCharge = (amountCents: unknown = 1500) => {
    const sagaId = randomUUID();
    return buildMessage({
      ...routeOf(broker.topology, 'payment.charge'),
      type: 'payment.charge',
      correlationId: sagaId,
      payload: { orderId: randomUUID(), amountCents, currency: 'EUR', paymentToken: 'tok_unavailable' },
    });
  };

  function failingConsumer(error: () => Error, maxAttempts = 3) {
    consumer = new Consumer({
      connection: broker.connection,
      topology: broker.topology,
      queue: broker.topology.queues.commands.payment,
      contracts: sagaContracts,
      publisher,
      retry: { tiers: broker.topology.retryTiers, maxAttempts, jitter: 0 },
      consumerName: 'payment-worker@test',
      handler: () => Promise.reject(error()),
    });
    return consumer.started;
  }

  const rows = () => database.db.select().from(deadLetters);

  it('stores a dead letter with the full envelope, and the retries before it', async () => {
    await failingConsumer(() => new TransientError('provider answered 503'));
    const message = paymentCharge();
    await publisher.publish(message);
    expect(await eventually(async () => (await rows()).length === 1, 15_000)).toBe(true);
    const [row] = await rows();
    expect(row).toMatchObject({
      deadLetterQueue: broker.topology.queues.deadLetters[broker.topology.queues.commands.payment],
      originalExchange: broker.topology.exchanges.commands,
      originalRoutingKey: 'payment.charge',
      originalQueue: broker.topology.queues.commands.payment,
      messageId: message.properties.messageId,
      messageType: 'payment.charge',
      sagaId: message.properties.correlationId,
      errorClass: 'transient',
      errorName: 'TransientError',
      errorMessage: 'provider answered 503',
      attempts: 3,
      failedBy: 'payment-worker@test',
      status: 'open',
      body: message.content.toString('utf8'),
      bodyEncoding: 'utf8',
    });
    expect(row!.errorStack).toContain('TransientError: provider answered 503');
    expect(row!.firstFailedAt.getTime()).toBeLessThan(row!.lastFailedAt.getTime());
    expect(row!.fingerprintText).toBe('provider answered <n>');
    // Two retries were scheduled before the dead letter; the retry log has both for the timeline.
    const retries = await database.db
      .select()
      .from(messageRetries)
      .where(eq(messageRetries.messageId, message.properties.messageId));
    expect(retries.map((r) => r.nextAttempt).sort()).toEqual([2, 3]);
    expect(retries.every((r) => r.sagaId === message.properties.correlationId && r.tier === '100ms')).toBe(
      true,
    );
  });

  it('stores a redelivered DLQ message once, and its replay failing again as a new row linked to it', async () => {
    await failingConsumer(() => new Error('bug: cannot read properties of undefined'));
    const message = paymentCharge();
    await publisher.publish(message);
    expect(await eventually(async () => (await rows()).length === 1)).toBe(true);
    const [first] = await rows();
    // What a redelivery looks like after the archiver died before its ack: the same message,
    // with the count a quorum queue adds. It must not become a second row.
    const dlq = first!.deadLetterQueue;
    const redelivered = {
      exchange: '',
      routingKey: dlq,
      content: Buffer.from(first!.body),
      properties: {
        ...(first!.properties as object),
        headers: { ...first!.headers, 'x-delivery-count': 1 },
      },
    };
    await publisher.publish(redelivered as never);
    // The replay of that dead letter as the outbox publishes it (same message id, attempt 1,
    // `x-replay-of` naming the dead letter) fails again: a new failure of the same message.
    await publisher.publish({
      ...message,
      properties: {
        ...message.properties,
        headers: { ...message.properties.headers, [Header.attempt]: 1, [Header.replayOf]: first!.id },
      },
    });
    // The replay's row, found by the header it carried (the link is what is under test).
    const ofReplay = async () => (await rows()).find((r) => r.headers[Header.replayOf] === first!.id);
    expect(await eventually(async () => (await ofReplay()) !== undefined, 15_000)).toBe(true);
    // The DLQ delivers in order to the archiver's one consumer, which commits its batches in
    // order and acks after the commit. The redelivered copy was in the DLQ (confirmed) before the
    // replay was even published, so once the replay's row is stored the copy has been stored
    // or deduplicated too, and the DLQ holds nothing more.
    expect((await (await broker.admin()).checkQueue(dlq)).messageCount).toBe(0);
    const all = await rows();
    expect(all).toHaveLength(2);
    const second = (await ofReplay())!;
    expect(second).toMatchObject({
      messageId: message.properties.messageId,
      replayOf: first!.id,
      fingerprint: first!.fingerprint,
      errorClass: 'permanent',
      attempts: 1,
      status: 'open',
    });
    expect(second.failureKey).not.toBe(first!.failureKey);
    expect(first!.replayOf).toBeNull();
  });

  it('records a message the broker dead-lettered for exceeding the delivery limit (a crash loop)', async () => {
    const admin = await broker.admin();
    const queue = broker.topology.queues.commands.payment;
    const message = paymentCharge();
    await publisher.publish(message);
    // A worker that dies on the message: it is delivered and requeued without an ack, again and again.
    for (let i = 0; i < 10; i += 1) {
      const got = await admin.get(queue, { noAck: false });
      if (!got) break;
      admin.nack(got, false, true);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(await eventually(async () => (await rows()).length === 1)).toBe(true);
    const [row] = await rows();
    expect(row).toMatchObject({
      originalQueue: queue,
      originalExchange: broker.topology.exchanges.commands,
      originalRoutingKey: 'payment.charge',
      messageId: message.properties.messageId,
      errorClass: 'crash-loop',
      errorName: 'DeliveryLimitExceeded',
    });
    expect(row!.errorMessage).toMatch(/x-delivery-limit/);
    expect(row!.failedBy).toMatch(/delivery_limit/);
  });

  it('keeps a body that is not UTF-8 or holds NUL bytes, base64-encoded', async () => {
    await failingConsumer(() => new Error('never called'));
    const poison = { ...paymentCharge(), content: Buffer.from([0x7b, 0x00, 0xff, 0xfe]) };
    await publisher.publish(poison);
    expect(await eventually(async () => (await rows()).length === 1)).toBe(true);
    const [row] = await rows();
    expect(row!.bodyEncoding).toBe('base64');
    expect(Buffer.from(row!.body, 'base64')).toEqual(poison.content);
    expect(row!.errorName).toBe('InvalidJsonError');
    expect(row!.attempts).toBe(1);
  });
});
