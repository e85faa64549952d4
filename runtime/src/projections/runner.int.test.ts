// Integration tests of the projection runner on the real RabbitMQ stream and PostgreSQL.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@sagaport/db/testing';
import { ConfirmPublisher } from '@sagaport/rabbitmq';
import { amqpUrl, createTestBroker, eventually, type TestBroker } from '@sagaport/rabbitmq/testing';
import { Registry } from 'prom-client';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createProjectionMetrics } from './metrics.js';
import { measureLag } from './lag.js';
import { ProjectionRunner } from './runner.js';
import { listParked, readCheckpoint, setProjectionState } from './store.js';
import { SharedStreamReader } from './stream-reader.js';
import { streamTail } from './stream.js';
import {
  charged,
  createRecordTable,
  publishEvent,
  publishEventBatch,
  recordingProjection,
} from './test-support/events.js';

describe('projection runner (real RabbitMQ stream and PostgreSQL)', () => {
  let database: MigratedTestDatabase;
  let broker: TestBroker;
  let publisher: ConfirmPublisher;
  const runners: ProjectionRunner[] = [];
  const readers: SharedStreamReader[] = [];
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    database = await createMigratedTestDatabase(6, 'projection-test');
    broker = await createTestBroker();
    publisher = new ConfirmPublisher(broker.connection, { timeoutMs: 5_000 });
  });
  afterEach(async () => {
    for (const child of children.splice(0)) child.kill('SIGKILL');
    await Promise.all(runners.splice(0).map((r) => r.stop()));
    await Promise.all(readers.splice(0).map((r) => r.close()));
  });
  afterAll(async () => {
    await publisher?.close();
    await broker?.cleanup();
    await database?.dispose();
  });

  // Every test reads the same stream from where it ends now, with a projection (and table) of its own.
  const fresh = async () => {
    const name = `p_${randomUUID().slice(0, 8)}`;
    const table = `public.${name}`;
    await createRecordTable(database.sql, table);
    const start = (await tailOffset()) + 1;
    await database.sql`insert into projections.checkpoints (name, stream_offset) values (${name}, ${start - 1})`;
    return { name, table, start };
  };
  const rows = (table: string) =>
    database.sql.unsafe<{ stream_offset: string; event_type: string; cents: string | null }[]>(
      `select stream_offset, event_type, cents from ${table} order by stream_offset`,
    );
  const tailOffset = async () =>
    (await measureLag(database.sql, broker.connection, broker.topology.queues.events, 'none')).streamEnd;
  const run = (
    projection: ReturnType<typeof recordingProjection>,
    options: Partial<ConstructorParameters<typeof ProjectionRunner>[0]> = {},
  ) => {
    const runner = new ProjectionRunner({
      projection,
      sql: database.sql,
      connection: broker.connection,
      queue: broker.topology.queues.events,
      leaseMs: 1_500,
      lagSampleMs: 0,
      ...options,
    }).start();
    runners.push(runner);
    return runner;
  };
  const reaches = (name: string, offset: number, timeoutMs = 30_000) =>
    eventually(
      async () => ((await readCheckpoint(database.sql, name))?.streamOffset ?? -1) >= offset,
      timeoutMs,
    );

  it('applies every event once with its offset, upcasts a v1 and parks a broken event with its reason, then goes on', async () => {
    const { name, table, start } = await fresh();
    const orderId = randomUUID();
    await publishEvent(publisher, broker.topology, 'payment.charged', charged(orderId, 1200, true), {
      version: 1,
    });
    await publishEvent(publisher, broker.topology, 'payment.charged', charged(randomUUID(), 3400));
    const brokenId = await publishEvent(publisher, broker.topology, 'payment.charged', {
      orderId,
      amount: 'lots',
    });
    await publishEvent(publisher, broker.topology, 'order.confirmed', { orderId });
    run(recordingProjection(name, table));
    expect(await reaches(name, start + 3)).toBe(true);

    const applied = (await rows(table)).filter((r) => Number(r.stream_offset) >= start);
    expect(
      applied.map((r) => [
        Number(r.stream_offset) - start,
        r.event_type,
        r.cents === null ? null : Number(r.cents),
      ]),
    ).toEqual([
      [0, 'payment.charged', 1200],
      [1, 'payment.charged', 3400],
      [3, 'order.confirmed', null],
    ]);
    const parked = await listParked(database.sql, name);
    expect(parked).toHaveLength(1);
    expect(parked[0]).toMatchObject({
      streamOffset: start + 2,
      messageId: brokenId,
      messageType: 'payment.charged',
    });
    expect(parked[0]!.error).toContain('payload.amount');
    expect(JSON.parse(parked[0]!.body)).toEqual({ orderId, amount: 'lots' });
    expect((await readCheckpoint(database.sql, name))?.state).toBe('running');
  });

  it('commits a batch without waiting for its WAL flush (the rows and the offset are lost or kept together)', async () => {
    const { name, table, start } = await fresh();
    const settings: string[] = [];
    const recording = recordingProjection(name, table);
    const projection: typeof recording = {
      ...recording,
      async apply(tx, events) {
        const [row] = await tx<{ synchronous_commit: string }[]>`show synchronous_commit`;
        settings.push(row!.synchronous_commit);
        await recording.apply(tx, events);
      },
    };
    await publishEvent(publisher, broker.topology, 'payment.charged', charged(randomUUID(), 700));
    run(projection);
    expect(await reaches(name, start)).toBe(true);
    expect(settings.length).toBeGreaterThan(0);
    expect(new Set(settings)).toEqual(new Set(['off']));
    // Only that transaction: the pool's sessions keep the server's setting.
    const [after] = await database.sql<{ synchronous_commit: string }[]>`show synchronous_commit`;
    expect(after!.synchronous_commit).toBe('on');
  });

  it('parks an event the projection throws on, alone, and applies its batch neighbours', async () => {
    const { name, table, start } = await fresh();
    const bad = randomUUID();
    for (const orderId of [randomUUID(), bad, randomUUID()])
      await publishEvent(publisher, broker.topology, 'order.confirmed', { orderId });
    run(recordingProjection(name, table, { failOn: bad }));
    expect(await reaches(name, start + 2)).toBe(true);
    expect((await rows(table)).map((r) => Number(r.stream_offset) - start).filter((o) => o >= 0)).toEqual([
      0, 2,
    ]);
    const parked = await listParked(database.sql, name);
    expect(parked.map((p) => [p.streamOffset - start, p.error])).toEqual([
      [1, `apply failed: cannot apply order ${bad}`],
    ]);
  });

  it('reads an event batch: every event applied once; an unreadable one and one the projection throws on parked by their place', async () => {
    const { name, table, start } = await fresh();
    const bad = randomUUID();
    const ids = await publishEventBatch(publisher, broker.topology, [
      { type: 'payment.charged', payload: charged(randomUUID(), 1200, true), version: 1 },
      { type: 'payment.charged', payload: { orderId: randomUUID(), amount: 'lots' } },
      { type: 'order.confirmed', payload: { orderId: bad } },
      { type: 'payment.charged', payload: charged(randomUUID(), 3400) },
    ]);
    await publishEvent(publisher, broker.topology, 'order.confirmed', { orderId: randomUUID() });
    run(recordingProjection(name, table, { failOn: bad }));
    expect(await reaches(name, start + 1)).toBe(true);

    const applied = (await rows(table))
      .filter((r) => Number(r.stream_offset) >= start)
      .map((r) => [Number(r.stream_offset) - start, r.event_type, r.cents === null ? null : Number(r.cents)]);
    expect(applied).toEqual([
      [0, 'payment.charged', 1200],
      [0, 'payment.charged', 3400],
      [1, 'order.confirmed', null],
    ]);
    const parked = await listParked(database.sql, name);
    expect(parked.map((p) => [p.streamOffset - start, p.eventIndex, p.messageId, p.messageType])).toEqual([
      [0, 1, ids[1], 'payment.charged'],
      [0, 2, ids[2], 'order.confirmed'],
    ]);
    expect(parked[0]!.error).toContain('payload.amount');
    expect(JSON.parse(parked[0]!.body)).toMatchObject({ amount: 'lots' });
    expect(parked[1]!.error).toBe(`apply failed: cannot apply order ${bad}`);
    expect(await readCheckpoint(database.sql, name)).toMatchObject({ state: 'running', appliedEvents: 3 });
  });

  it('shares one reader between projections: each applies every event once, one joining behind, through a small credit window', async () => {
    const first = await fresh();
    const second = { name: `p_${randomUUID().slice(0, 8)}`, table: '' };
    second.table = `public.${second.name}`;
    await createRecordTable(database.sql, second.table);
    await database.sql`insert into projections.checkpoints (name, stream_offset) values (${second.name}, ${first.start - 1})`;
    // A window of 6 messages for 25 events: the reader must ack as both release, or it stalls.
    const reader = new SharedStreamReader(broker.connection, broker.topology.queues.events, { prefetch: 6 });
    readers.push(reader);
    const publishOrders = async (n: number) => {
      for (let i = 0; i < n; i += 1)
        await publishEvent(publisher, broker.topology, 'order.confirmed', { orderId: randomUUID() });
    };
    await publishOrders(5);
    run(recordingProjection(first.name, first.table), { reader, batchSize: 2, lingerMs: 0 });
    expect(await reaches(first.name, first.start + 4)).toBe(true);

    // The second starts behind the reader: it reads again from there, and the first applies nothing twice.
    run(recordingProjection(second.name, second.table), { reader, batchSize: 2, lingerMs: 0 });
    await publishOrders(20);
    expect(await reaches(first.name, first.start + 24)).toBe(true);
    expect(await reaches(second.name, first.start + 24)).toBe(true);
    const everyOffset = Array.from({ length: 25 }, (_, i) => i);
    for (const table of [first.table, second.table]) {
      const offsets = (await rows(table))
        .map((r) => Number(r.stream_offset) - first.start)
        .filter((o) => o >= 0);
      expect(offsets).toEqual(everyOffset);
    }
  });

  it('under the stop policy parks the broken event and stops there, and goes on once resumed', async () => {
    const { name, table, start } = await fresh();
    await publishEvent(publisher, broker.topology, 'order.confirmed', { orderId: randomUUID() });
    await publishEvent(publisher, broker.topology, 'order.confirmed', { orderId: 'not-a-uuid' });
    await publishEvent(publisher, broker.topology, 'order.confirmed', { orderId: randomUUID() });
    run(recordingProjection(name, table), { onUnappliable: 'stop' });
    expect(
      await eventually(async () => (await readCheckpoint(database.sql, name))?.state === 'stopped', 20_000),
    ).toBe(true);
    const stopped = await readCheckpoint(database.sql, name);
    expect(stopped?.streamOffset).toBe(start + 1);
    expect(stopped?.lastError).toContain(`parked at offset ${start + 1}`);
    expect((await rows(table)).filter((r) => Number(r.stream_offset) >= start)).toHaveLength(1);

    // Resumed, it reads on after the parked event (parked, not applied) to the end.
    await setProjectionState(database.sql, name, 'running');
    expect(await reaches(name, start + 2)).toBe(true);
    expect((await rows(table)).map((r) => Number(r.stream_offset) - start).filter((o) => o >= 0)).toEqual([
      0, 2,
    ]);
  });

  it('reads the lag: stopped, N events published read as N behind; started, it drains to 0', async () => {
    const { name, table } = await fresh();
    await publishEvent(publisher, broker.topology, 'order.confirmed', { orderId: randomUUID() });
    const registry = new Registry();
    const metrics = createProjectionMetrics(registry);
    const first = run(recordingProjection(name, table), { metrics });
    const end = await tailOffset();
    expect(await reaches(name, end)).toBe(true);
    await first.stop();
    runners.splice(runners.indexOf(first), 1);

    const n = 37;
    for (let i = 0; i < n; i += 1)
      await publishEvent(publisher, broker.topology, 'order.confirmed', { orderId: randomUUID() });
    const behind = await first.sampleLag();
    expect(behind?.events).toBe(n);
    expect((await registry.getSingleMetric('sagaport_projection_lag_events')?.get())?.values[0]?.value).toBe(
      n,
    );

    const second = run(recordingProjection(name, table), { metrics });
    expect(await reaches(name, end + n)).toBe(true);
    expect((await second.sampleLag())?.events).toBe(0);
    expect((await registry.getSingleMetric('sagaport_projection_lag_events')?.get())?.values[0]?.value).toBe(
      0,
    );
  });

  it('lets a batch linger: events arriving one by one inside the window commit together, and the window bounds the wait', async () => {
    const { name, table, start } = await fresh();
    const commits: number[] = [];
    let firstPublishedAt = 0;
    let committedAt = 0;
    run(recordingProjection(name, table), {
      lingerMs: 1_500,
      onCommitted: (_offset, events) => {
        commits.push(events);
        committedAt ||= performance.now();
      },
    });
    // Wait until the runner consumes (an event of its own, applied alone), then publish 10 events 20 ms apart.
    await publishEvent(publisher, broker.topology, 'order.confirmed', { orderId: randomUUID() });
    expect(await reaches(name, start)).toBe(true);
    commits.length = 0;
    committedAt = 0;
    for (let i = 0; i < 10; i += 1) {
      await publishEvent(publisher, broker.topology, 'order.confirmed', { orderId: randomUUID() });
      firstPublishedAt ||= performance.now();
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await reaches(name, start + 10)).toBe(true);
    // Without the linger each event would be its own batch (they arrive 20 ms apart).
    expect(commits).toEqual([10]);
    expect(committedAt - firstPublishedAt).toBeGreaterThanOrEqual(1_000);
    expect(committedAt - firstPublishedAt).toBeLessThan(5_000);
  });

  it('runs one runner per projection: a second waits, applies nothing twice, and takes over when the first stops', async () => {
    const { name, table, start } = await fresh();
    const a = run(recordingProjection(name, table));
    const b = run(recordingProjection(name, table));
    for (let i = 0; i < 50; i += 1)
      await publishEvent(publisher, broker.topology, 'order.confirmed', { orderId: randomUUID() });
    const end = await tailOffset();
    expect(await reaches(name, end)).toBe(true);
    expect([a.isActive, b.isActive].filter(Boolean)).toHaveLength(1);
    const [active, standby] = a.isActive ? [a, b] : [b, a];
    await active.stop();
    for (let i = 0; i < 20; i += 1)
      await publishEvent(publisher, broker.topology, 'order.confirmed', { orderId: randomUUID() });
    expect(await reaches(name, end + 20)).toBe(true);
    expect(standby.isActive).toBe(true);
    const offsets = (await rows(table)).map((r) => Number(r.stream_offset));
    expect(new Set(offsets).size).toBe(offsets.length);
    expect(offsets).toEqual(Array.from({ length: end + 21 - start }, (_, i) => start + i));
  });

  it('writes nothing from a batch whose lease was taken or whose checkpoint was moved since the runner last checked', async () => {
    for (const change of ['lease taken', 'checkpoint moved'] as const) {
      const { name, table, start } = await fresh();
      const warnings: string[] = [];
      const logger = {
        info: () => {},
        error: () => {},
        warn: (_: object, message: string) => warnings.push(message),
      };
      // Renewed every 20 s: the second batch comes long before the runner looks at its lease again.
      const runner = run(recordingProjection(name, table), { leaseMs: 60_000, lingerMs: 0, logger });
      await publishEvent(publisher, broker.topology, 'order.confirmed', { orderId: randomUUID() });
      expect(await reaches(name, start)).toBe(true);
      if (change === 'lease taken')
        await database.sql`update projections.checkpoints set owner = 'another-runner' where name = ${name}`;
      else
        await database.sql`update projections.checkpoints set stream_offset = ${start + 100} where name = ${name}`;
      await publishEvent(publisher, broker.topology, 'order.confirmed', { orderId: randomUUID() });
      const reason = change === 'lease taken' ? 'lease lost before commit' : 'checkpoint moved by a rebuild';
      expect(await eventually(async () => warnings.some((w) => w.includes(reason)), 10_000)).toBe(true);
      // The projection's row and the checkpoint's move were rolled back together.
      expect((await rows(table)).map((r) => Number(r.stream_offset))).toEqual([start]);
      const checkpoint = await readCheckpoint(database.sql, name);
      expect(checkpoint).toMatchObject(
        change === 'lease taken'
          ? { streamOffset: start, owner: 'another-runner', appliedEvents: 1 }
          : { streamOffset: start + 100, owner: runner.owner, appliedEvents: 1 },
      );
    }
  });

  it('a projector killed with SIGKILL in the middle of a batch loses nothing and doubles nothing once another runs on', async () => {
    const { name, table, start } = await fresh();
    const total = 600;
    for (let i = 0; i < total; i += 1) {
      await publishEvent(publisher, broker.topology, 'payment.charged', charged(randomUUID(), i + 1));
    }
    const end = await tailOffset();
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', fileURLToPath(new URL('./test-support/projector-child.ts', import.meta.url))],
      {
        env: {
          ...process.env,
          DATABASE_URL: database.url,
          AMQP_URL: amqpUrl,
          QUEUE: broker.topology.queues.events,
          PROJECTION: name,
          TABLE: table,
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    children.push(child);
    let commits = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      commits += chunk
        .toString()
        .split('\n')
        .filter((line) => line.startsWith('committed')).length;
    });
    // A few batches in (each holds its transaction open 200 ms), kill it inside the next.
    expect(await eventually(async () => commits >= 3, 60_000)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 100));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const atKill = (await readCheckpoint(database.sql, name))!.streamOffset;
    expect(atKill).toBeLessThan(end);

    run(recordingProjection(name, table), { batchSize: 200 });
    expect(await reaches(name, end, 60_000)).toBe(true);
    const offsets = (await rows(table)).map((r) => Number(r.stream_offset));
    // Every offset once: what one uninterrupted replay gives.
    expect(offsets).toEqual(Array.from({ length: end + 1 - start }, (_, i) => start + i));
  });

  it('reads the end of a stream that never pauses without reading the live stream, one probe for callers at once', async () => {
    // A publisher that goes on while the probe runs: a probe waiting for a pause in deliveries
    // would read until the publisher stopped (or its 3-second limit) and end at the last offset.
    let publishing = true;
    const published: Promise<unknown>[] = [];
    const publishingFor = (async () => {
      const stopAt = Date.now() + 2_500;
      while (Date.now() < stopAt) {
        published.push(
          publishEvent(publisher, broker.topology, 'payment.charged', charged(randomUUID(), 100)),
        );
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
      publishing = false;
    })();
    await new Promise((resolve) => setTimeout(resolve, 300));
    const queue = broker.topology.queues.events;
    const first = streamTail(broker.connection, queue);
    const second = streamTail(broker.connection, queue);
    expect(second).toBe(first);
    const tail = await first;
    expect(publishing, 'the probe answered while events were still being published').toBe(true);
    await publishingFor;
    await Promise.all(published);
    const end = (await streamTail(broker.connection, queue))!.offset;
    expect(tail!.offset).toBeGreaterThan(0);
    expect(tail!.offset).toBeLessThan(end);
  });
});
