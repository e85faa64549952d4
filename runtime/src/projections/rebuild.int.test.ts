// Integration tests of a projection rebuild (shadow tables, swap) on the real RabbitMQ stream and PostgreSQL.
import { randomUUID } from 'node:crypto';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@sagaport/db/testing';
import { ConfirmPublisher } from '@sagaport/rabbitmq';
import { createTestBroker, eventually, type TestBroker } from '@sagaport/rabbitmq/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { ProjectionRebuild } from './rebuild.js';
import { RebuildAlreadyRunning } from './rebuild-store.js';
import { measureLag } from './lag.js';
import { ProjectionRunner } from './runner.js';
import { readCheckpoint } from './store.js';
import {
  charged,
  createIndexedRecordTable,
  publishEvent,
  rebuildableProjection,
  recordingProjection,
} from './test-support/events.js';

describe('projection rebuild (real RabbitMQ stream and PostgreSQL)', () => {
  let database: MigratedTestDatabase;
  let broker: TestBroker;
  let publisher: ConfirmPublisher;
  const runners: ProjectionRunner[] = [];

  beforeAll(async () => {
    database = await createMigratedTestDatabase(8, 'projection-rebuild-test');
    broker = await createTestBroker();
    publisher = new ConfirmPublisher(broker.connection, { timeoutMs: 5_000 });
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
  });
  afterAll(async () => {
    await publisher?.close();
    await broker?.cleanup();
    await database?.dispose();
  });

  const publish = async (n: number) => {
    for (let i = 0; i < n; i += 1) {
      await publishEvent(publisher, broker.topology, 'payment.charged', charged(randomUUID(), 100 + i));
    }
  };
  const streamEnd = async () =>
    (await measureLag(database.sql, broker.connection, broker.topology.queues.events, 'none')).streamEnd;
  const fresh = async () => {
    const name = `r_${randomUUID().slice(0, 8)}`;
    const table = `public.${name}`;
    await createIndexedRecordTable(database.sql, table);
    await database.sql`insert into projections.checkpoints (name, stream_offset) values (${name}, -1)`;
    return { name, table };
  };
  const run = (projection: ReturnType<typeof recordingProjection>, batchSize = 20) => {
    const runner = new ProjectionRunner({
      projection,
      sql: database.sql,
      connection: broker.connection,
      queue: broker.topology.queues.events,
      leaseMs: 1_500,
      lagSampleMs: 0,
      batchSize,
    }).start();
    runners.push(runner);
    return runner;
  };
  const rebuild = (projection: ReturnType<typeof recordingProjection>) =>
    ProjectionRebuild.start({
      projection,
      sql: database.sql,
      connection: broker.connection,
      queue: broker.topology.queues.events,
      startedBy: 'test',
      batchSize: 50,
      heartbeatMs: 200,
    });
  const offsetsOf = async (table: string) =>
    (await database.sql.unsafe<{ stream_offset: string }[]>(`select stream_offset from ${table}`))
      .map((r) => Number(r.stream_offset))
      .sort((a, b) => a - b);
  const indexesOf = async (table: string) =>
    (
      await database.sql<{ indexname: string }[]>`
        select indexname from pg_indexes where schemaname = 'public' and tablename = ${table.split('.')[1]!}`
    )
      .map((r) => r.indexname)
      .sort();
  /** The columns of `table` with a statistics target of their own, and that target. */
  const statisticsTargetsOf = async (table: string) =>
    await database.sql<{ column: string; target: number }[]>`
      select attname as column, attstattarget as target from pg_attribute
      where attrelid = ${table}::regclass and attnum > 0 and attstattarget >= 0 order by attname`;

  it('rebuilds into a shadow while the live runner applies, swaps it in whole: every offset once, readers never fail', async () => {
    const { name, table } = await fresh();
    await publish(60);
    const projection = rebuildableProjection(name, table);
    // A slow live runner: the rebuild overtakes it, so the swap moves its checkpoint forward under it.
    run(rebuildableProjection(name, table, { slowMs: 150 }), 5);
    const end = await streamEnd();
    expect(
      await eventually(async () => (await readCheckpoint(database.sql, name))!.streamOffset >= end),
    ).toBe(true);
    const indexes = await indexesOf(table);
    // A document column kept out of ANALYZE, as the migrations do for the stored payloads.
    await database.sql.unsafe(`alter table ${table} alter column cents set statistics 0`);
    // A bug lost rows of the live model: the rebuild brings them back.
    await database.sql.unsafe(`delete from ${table} where stream_offset % 3 = 0`);

    let reading = true;
    let reads = 0;
    const readErrors: unknown[] = [];
    const reader = (async () => {
      while (reading) {
        await database.sql
          .unsafe(`select count(*) from ${table} where event_type = 'payment.charged'`)
          .then(() => (reads += 1))
          .catch((error: unknown) => readErrors.push(error));
      }
    })();
    const progress: number[] = [];
    const started = await ProjectionRebuild.start({
      projection,
      sql: database.sql,
      connection: broker.connection,
      queue: broker.topology.queues.events,
      startedBy: 'test',
      batchSize: 25,
      onProgress: (status) => progress.push(status.appliedEvents),
    });
    expect(started.started).toMatchObject({ state: 'running', targetOffset: end, startedBy: 'test' });
    const during = publish(60); // the live runner keeps applying while the rebuild reads
    const finished = await started.finished;
    await during;
    reading = false;
    await reader;

    expect(finished).toMatchObject({ state: 'done', error: null });
    expect(finished.streamOffset).toBeGreaterThanOrEqual(end);
    expect(finished.finishedAt).not.toBeNull();
    expect(progress.length).toBeGreaterThan(1);
    expect(readErrors).toEqual([]);
    expect(reads).toBeGreaterThan(0);

    const last = await streamEnd();
    expect(
      await eventually(async () => (await readCheckpoint(database.sql, name))!.streamOffset >= last),
    ).toBe(true);
    const all = Array.from({ length: last + 1 }, (_, i) => i);
    expect(await offsetsOf(table)).toEqual(all); // nothing lost, nothing twice
    expect(await indexesOf(table)).toEqual(indexes);
    expect(await statisticsTargetsOf(table)).toEqual([{ column: 'cents', target: 0 }]);
    const [shadow] = await database.sql`select to_regclass(${`${table}__rebuild`}) as oid`;
    expect(shadow!.oid).toBeNull();
  });

  it('runs one rebuild per projection: a second is refused while the first runs; a stopped one fails and leaves the live model', async () => {
    const { name, table } = await fresh();
    await publish(5);
    const slow = rebuildableProjection(name, table, { slowMs: 300 });
    const first = await rebuild(slow);
    await expect(rebuild(slow)).rejects.toBeInstanceOf(RebuildAlreadyRunning);
    const stopped = await first.stop();
    expect(stopped).toMatchObject({ state: 'failed' });
    expect(stopped.error).toContain('stopped');
    const [shadow] = await database.sql`select to_regclass(${`${table}__rebuild`}) as oid`;
    expect(shadow!.oid).toBeNull();
    const again = await rebuild(rebuildableProjection(name, table));
    expect((await again.finished).state).toBe('done');
  });

  it('refuses a projection that declares no tables', async () => {
    const { name, table } = await fresh();
    await expect(rebuild(recordingProjection(name, table))).rejects.toThrow(/declares no tables/);
  });
});
