import { randomUUID } from 'node:crypto';
import { enqueueOutbox, outbox } from '@sagaport/db';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@sagaport/db/testing';
import { ConfirmPublisher, Header, SCHEMA_VERSION, silentLogger } from '@sagaport/rabbitmq';
import { createTestBroker, drainQueue, eventually, type TestBroker } from '@sagaport/rabbitmq/testing';
import { eq } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxRelay } from './relay.js';

describe('outbox relay when the broker refuses a publish (real RabbitMQ and PostgreSQL)', () => {
  let database: MigratedTestDatabase;
  let broker: TestBroker;
  let publisher: ConfirmPublisher;
  let relay: OutboxRelay | undefined;
  let fullQueue: string;
  const routingKey = 'relay-test.full';

  beforeEach(async () => {
    database = await createMigratedTestDatabase(4, 'relay-test');
    broker = await createTestBroker();
    publisher = new ConfirmPublisher(broker.connection, { timeoutMs: 5_000 });
    // A queue that holds one message and refuses more: a publish it would take is nacked.
    fullQueue = `${broker.topology.prefix}relay-test.full`;
    const admin = await broker.admin();
    await admin.assertQueue(fullQueue, {
      durable: true,
      arguments: { 'x-max-length': 1, 'x-overflow': 'reject-publish' },
    });
    await admin.bindQueue(fullQueue, broker.topology.exchanges.commands, routingKey);
  });
  afterEach(async () => {
    await relay?.stop();
    relay = undefined;
    await publisher.close();
    await (await broker.admin()).deleteQueue(fullQueue);
    await broker.cleanup();
    await database.dispose();
  });

  it('keeps a row whose publish is nacked, retries it, and publishes it once the cause is gone', async () => {
    const admin = await broker.admin();
    admin.sendToQueue(fullQueue, Buffer.from('{"filler":true}'));
    expect(await eventually(async () => (await admin.checkQueue(fullQueue)).messageCount === 1)).toBe(true);

    const messageId = randomUUID();
    const payload = { orderId: randomUUID() };
    await database.db.transaction((tx) =>
      enqueueOutbox(tx, [
        {
          messageId,
          exchange: broker.topology.exchanges.commands,
          routingKey,
          messageType: 'order.confirm',
          correlationId: randomUUID(),
          headers: { [Header.schemaVersion]: SCHEMA_VERSION },
          payload,
        },
      ]),
    );
    relay = new OutboxRelay({ database, publisher, logger: silentLogger, pollMs: 50 });
    await relay.start();

    const row = async () =>
      (await database.db.select().from(outbox).where(eq(outbox.messageId, messageId)))[0];
    // Two nacked publishes (or the row gone, which is the failure this test is about).
    expect(
      await eventually(async () => {
        const current = await row();
        return current === undefined || current.attempts >= 2;
      }, 15_000),
    ).toBe(true);
    const kept = await row();
    expect(kept, 'the nacked row is still in the outbox').toBeDefined();
    expect(kept!.lastError).toBe('publish nacked');
    expect(kept!.availableAt.getTime()).toBeGreaterThan(kept!.createdAt.getTime());
    expect((await admin.checkQueue(fullQueue)).messageCount).toBe(1);

    // The cause goes away (the queue is drained); the relay's next try goes through.
    const filler = await admin.get(fullQueue, { noAck: true });
    expect(filler && filler.content.toString()).toBe('{"filler":true}');
    expect(await eventually(async () => (await row()) === undefined, 15_000), 'the row is published').toBe(
      true,
    );
    // Deleted only after the confirm: the message is in the queue, once.
    const delivered = await drainQueue(admin, fullQueue);
    expect(delivered.map((m) => m.properties.messageId as string)).toEqual([messageId]);
    expect(JSON.parse(delivered[0]!.content.toString())).toEqual(payload);
  });

  it('keeps a row whose exchange does not exist, and publishes it once the exchange is declared', async () => {
    const admin = await broker.admin();
    const exchange = `${broker.topology.prefix}relay-test.missing`;
    const messageId = randomUUID();
    await database.db.transaction((tx) =>
      enqueueOutbox(tx, [
        {
          messageId,
          exchange,
          routingKey,
          messageType: 'order.confirm',
          correlationId: randomUUID(),
          headers: { [Header.schemaVersion]: SCHEMA_VERSION },
          payload: { orderId: randomUUID() },
        },
      ]),
    );
    relay = new OutboxRelay({ database, publisher, logger: silentLogger, pollMs: 50 });
    await relay.start();

    const row = async () =>
      (await database.db.select().from(outbox).where(eq(outbox.messageId, messageId)))[0];
    expect(
      await eventually(async () => {
        const current = await row();
        return current === undefined || current.attempts >= 2;
      }, 15_000),
    ).toBe(true);
    const kept = await row();
    expect(kept, 'the refused row is still in the outbox').toBeDefined();
    // The broker closes the channel of a publish to a missing exchange (404): the confirm is lost.
    expect(kept!.lastError).toBe('publish connection-lost');

    await admin.assertExchange(exchange, 'direct', { durable: false, autoDelete: false });
    await admin.bindQueue(fullQueue, exchange, routingKey);
    try {
      expect(await eventually(async () => (await row()) === undefined, 15_000), 'the row is published').toBe(
        true,
      );
      const delivered = await drainQueue(admin, fullQueue);
      expect(delivered.map((m) => m.properties.messageId as string)).toEqual([messageId]);
    } finally {
      await admin.deleteExchange(exchange);
    }
  });

  it('drops a row over AMQP_MAX_MESSAGE_BYTES, which no retry can publish, says so, and relays the others', async () => {
    const small = new ConfirmPublisher(broker.connection, { maxMessageBytes: 1024 });
    const published: string[] = [];
    const errors: string[] = [];
    const logger = {
      ...silentLogger,
      error: (_fields: object, message: string) => void errors.push(message),
    };
    const [big, fine] = [randomUUID(), randomUUID()];
    await database.db.transaction((tx) =>
      enqueueOutbox(
        tx,
        [
          [big, { orderId: randomUUID(), note: 'x'.repeat(2_000) }],
          [fine, { orderId: randomUUID() }],
        ].map(([messageId, payload]) => ({
          messageId: messageId as string,
          exchange: broker.topology.exchanges.commands,
          routingKey: 'order.confirm',
          messageType: 'order.confirm',
          correlationId: randomUUID(),
          headers: { [Header.schemaVersion]: SCHEMA_VERSION },
          payload,
        })),
      ),
    );
    relay = new OutboxRelay({
      database,
      publisher: small,
      logger,
      pollMs: 50,
      onPublished: (outcome, count) => {
        for (let i = 0; i < count; i += 1) published.push(outcome);
      },
    });
    await relay.start();
    try {
      expect(
        await eventually(async () => (await database.db.select().from(outbox)).length === 0, 15_000),
      ).toBe(true);
      expect([...published].sort()).toEqual(['confirmed', 'too-large']);
      expect(errors).toEqual([
        'outbox message over AMQP_MAX_MESSAGE_BYTES dropped: it can never be published',
      ]);
      const delivered = await drainQueue(await broker.admin(), broker.topology.queues.commands.order);
      expect(delivered.map((m) => m.properties.messageId as string)).toEqual([fine]);
    } finally {
      await relay.stop();
      relay = undefined;
      await small.close();
    }
  });
});
