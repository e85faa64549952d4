// A projection batch commits without waiting for its WAL flush: a database crash that loses the
// last batches loses their rows and their offset together, and the runner applies those events again, once.
import { randomUUID } from 'node:crypto';
import { createMigratedTestDatabase, PrivatePostgres, type MigratedTestDatabase } from '@sagaport/db/testing';
import { ConfirmPublisher } from '@sagaport/rabbitmq';
import { createTestBroker, eventually, type TestBroker } from '@sagaport/rabbitmq/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { measureLag } from './lag.js';
import { ProjectionRunner } from './runner.js';
import { readCheckpoint } from './store.js';
import { charged, createRecordTable, publishEvent, recordingProjection } from './test-support/events.js';

describe('projection runner across a database crash (a private PostgreSQL, the shared RabbitMQ)', () => {
  let server: PrivatePostgres;
  let database: MigratedTestDatabase;
  let broker: TestBroker;
  let publisher: ConfirmPublisher;

  beforeAll(async () => {
    // Every commit of this server is asynchronous, and its WAL writer wakes every 10 s only: a
    // commit's WAL stays in shared memory for seconds, where a crash loses it.
    server = await PrivatePostgres.start({ settings: ['wal_writer_delay=10000'] });
    database = await createMigratedTestDatabase(4, 'projection-crash-test', server.url);
    broker = await createTestBroker();
    publisher = new ConfirmPublisher(broker.connection, { timeoutMs: 5_000 });
  });
  afterAll(async () => {
    await publisher?.close();
    await broker?.cleanup();
    await database?.dispose();
    await server?.dispose();
  });

  const offsetOf = async (name: string) => (await readCheckpoint(database.sql, name))?.streamOffset ?? -1;
  const appliedOffsets = async (table: string) =>
    (
      await database.sql.unsafe<{ stream_offset: string }[]>(
        `select stream_offset from ${table} order by stream_offset`,
      )
    ).map((row) => Number(row.stream_offset));
  const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => from + i);
  /** Writes everything committed so far to disk: what the next crash may lose starts here. */
  const flush = () => database.sql`checkpoint`;

  /** Runs the projection until it has applied up to `offset`, then stops it. */
  async function applyUpTo(name: string, table: string, offset: number): Promise<void> {
    const runner = new ProjectionRunner({
      projection: recordingProjection(name, table),
      sql: database.sql,
      connection: broker.connection,
      queue: broker.topology.queues.events,
      leaseMs: 1_000,
      lagSampleMs: 0,
      lingerMs: 0,
    }).start();
    try {
      expect(await eventually(async () => (await offsetOf(name)) >= offset, 30_000)).toBe(true);
    } finally {
      await runner.stop();
    }
  }

  it('loses the rows and the offset of the last batches together, and applies those events again once', async () => {
    const name = `p_${randomUUID().slice(0, 8)}`;
    const table = `public.${name}`;
    await createRecordTable(database.sql, table);
    const tail = (await measureLag(database.sql, broker.connection, broker.topology.queues.events, 'none'))
      .streamEnd;
    const start = tail + 1;
    await database.sql`insert into projections.checkpoints (name, stream_offset) values (${name}, ${start - 1})`;
    await flush();

    // A crash right after a batch may land before or after the WAL writer's turn: crash until one lost a tail.
    let published = 0;
    let lost = 0;
    for (let round = 0; round < 4 && lost === 0; round += 1) {
      for (let i = 0; i < 5; i += 1)
        await publishEvent(publisher, broker.topology, 'payment.charged', charged(randomUUID(), 100 + i));
      published += 5;
      const end = start + published - 1;
      await applyUpTo(name, table, end);
      expect(await appliedOffsets(table)).toEqual(range(start, end));

      await server.crash();
      await server.start();
      // The pool reconnects: the checkpoint and the rows are what the server recovered.
      const recovered = await eventually(async () => (await offsetOf(name).catch(() => -2)) !== -2, 30_000);
      expect(recovered).toBe(true);
      const after = await offsetOf(name);
      expect(after).toBeLessThanOrEqual(end);
      // Whatever was lost, the rows and the offset were lost together: nothing applied past the offset, nothing missing before it.
      expect(await appliedOffsets(table)).toEqual(range(start, after));
      lost += end - after;
      await flush();
    }
    expect(lost).toBeGreaterThan(0);

    // Read again from the recovered offset: every event applied once, none twice.
    const end = start + published - 1;
    await applyUpTo(name, table, end);
    expect(await appliedOffsets(table)).toEqual(range(start, end));
  });
});
