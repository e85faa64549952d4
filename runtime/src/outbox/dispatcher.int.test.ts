import { randomUUID } from 'node:crypto';
import { enqueueOutboxForDispatch, outbox } from '@sagaport/db';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@sagaport/db/testing';
import { ConfirmPublisher, Header, routeOf, SCHEMA_VERSION, silentLogger } from '@sagaport/rabbitmq';
import { createTestBroker, drainQueue, eventually, type TestBroker } from '@sagaport/rabbitmq/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OutboxDispatcher } from './dispatcher.js';
import { OutboxRelay } from './relay.js';

describe('outbox fast path (dispatch after commit) and its relay fallback', () => {
  let database: MigratedTestDatabase;
  let broker: TestBroker;
  let publisher: ConfirmPublisher;
  beforeEach(async () => {
    database = await createMigratedTestDatabase(4);
    broker = await createTestBroker();
    publisher = new ConfirmPublisher(broker.connection);
  });
  afterEach(async () => {
    await publisher.close();
    await broker.cleanup();
    await database.dispose();
  });

  const command = () => ({
    messageId: randomUUID(),
    ...routeOf(broker.topology, 'order.confirm'),
    messageType: 'order.confirm',
    correlationId: randomUUID(),
    headers: { [Header.schemaVersion]: SCHEMA_VERSION },
    payload: { orderId: randomUUID() },
  });
  const queued = async () =>
    (await drainQueue(await broker.admin(), broker.topology.queues.commands.order)).map(
      (m) => m.properties.messageId as string,
    );

  it('publishes committed rows at once and deletes them after their confirms', async () => {
    const dispatcher = new OutboxDispatcher({
      db: database.db,
      publisher,
      topology: broker.topology,
      logger: silentLogger,
      graceMs: 60_000,
    });
    const messages = [command(), command()];
    const rows = await database.db.transaction((tx) =>
      enqueueOutboxForDispatch(tx, messages, dispatcher.graceMs),
    );
    await dispatcher.dispatch(rows);
    await dispatcher.flush();
    expect(await database.db.select().from(outbox)).toEqual([]);
    expect((await queued()).sort()).toEqual(messages.map((m) => m.messageId).sort());
  });

  it('leaves rows whose writer died before dispatching to the relay, which publishes them after the grace', async () => {
    const message = command();
    await database.db.transaction((tx) => enqueueOutboxForDispatch(tx, [message], 500)); // then "crash": no dispatch
    const relay = new OutboxRelay({ database, publisher, logger: silentLogger, pollMs: 100 });
    await relay.start();
    try {
      // Hidden during the grace: nothing is published twice while the writer may still dispatch.
      await new Promise((r) => setTimeout(r, 200));
      expect(await queued()).toEqual([]);
      expect(
        await eventually(async () => (await database.db.select().from(outbox)).length === 0, 10_000),
      ).toBe(true);
      expect(await queued()).toEqual([message.messageId]);
    } finally {
      await relay.stop();
    }
  });
});
