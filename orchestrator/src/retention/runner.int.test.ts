import { randomUUID } from 'node:crypto';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@sagaport/db/testing';
import { silentLogger } from '@sagaport/rabbitmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { insertDeadLetter } from '../test-support/saga-fixtures.js';
import { RETENTION_LOCK_KEY, RetentionRunner } from './runner.js';

describe('retention', () => {
  let database: MigratedTestDatabase;
  beforeAll(async () => {
    database = await createMigratedTestDatabase(4, 'sagaport-retention-test');
  });
  afterAll(async () => {
    await database?.dispose();
  });

  /** A saga row `daysAgo` old, ended then unless it is still running, with three event rows. */
  async function saga(status: string, daysAgo: number): Promise<string> {
    const id = randomUUID();
    const { sql } = database;
    const at = sql`now() - make_interval(days => ${daysAgo})`;
    const ended = status === 'running' ? sql`null` : at;
    await sql`insert into saga.instances (id, saga_type, status, state, created_at, updated_at, ended_at)
              values (${id}, 'checkout', ${status}, '{}', ${at}, ${at}, ${ended})`;
    for (let version = 1; version <= 3; version += 1)
      await sql`insert into saga.events (saga_id, version, kind, created_at) values (${id}, ${version}, 'command.sent', ${at})`;
    await sql`insert into inbox (consumer, message_id, message_type, correlation_id, received_at)
              values ('payment-worker', ${randomUUID()}, 'payment.charge', ${id}, ${at})`;
    return id;
  }

  const events = async (sagaId: string) =>
    (
      await database.sql<
        { n: number }[]
      >`select count(*)::int as n from saga.events where saga_id = ${sagaId}`
    )[0]!.n;
  const inbox = async (sagaId: string) =>
    (
      await database.sql<
        { n: number }[]
      >`select count(*)::int as n from inbox where correlation_id = ${sagaId}`
    )[0]!.n;

  it('prunes what is old and ended, in small batches, and keeps what a running saga or an open dead letter needs', async () => {
    const oldCompleted = await saga('completed', 40);
    const oldCompensated = await saga('compensated', 40);
    const recentCompleted = await saga('completed', 2);
    const longRunning = await saga('running', 40);
    const oldWithOpenLetter = await saga('failed', 40);
    const longAgo = new Date(Date.now() - 40 * 86_400_000);
    const openLetter = await insertDeadLetter(database.db, {
      sagaId: oldWithOpenLetter,
      messageType: 'payment.charge',
      messageId: randomUUID(),
      lastFailedAt: longAgo,
    });
    const discardedLetter = await insertDeadLetter(database.db, {
      sagaId: oldCompleted,
      messageType: 'payment.charge',
      messageId: randomUUID(),
      lastFailedAt: longAgo,
      status: 'discarded',
    });
    await database.sql`update dead_letters set discarded_at = ${longAgo.toISOString()}::timestamptz where id = ${discardedLetter}`;
    await database.sql`insert into admin.audit_log (at, actor_email, action, target_type)
      values (now() - interval '400 days', 'ops@example.com', 'dead-letter.discard', 'dead-letter'),
             (now() - interval '10 days', 'ops@example.com', 'dead-letter.discard', 'dead-letter')`;

    const pruned: Record<string, number> = {};
    // Batches of 2 rows: several passes, each short.
    const runner = new RetentionRunner({
      database,
      batchSize: 2,
      intervalMs: 0,
      logger: silentLogger,
      onPruned: (table, rows) => (pruned[table] = (pruned[table] ?? 0) + rows),
    });
    const total = await runner.run();

    // Pruned: the events and inbox rows of the sagas that ended 40 days ago, the letter discarded
    // 40 days ago, the audit row 400 days old.
    expect(await events(oldCompleted)).toBe(0);
    expect(await events(oldCompensated)).toBe(0);
    expect(await inbox(oldCompleted)).toBe(0);
    expect((await database.sql`select id from dead_letters where id = ${discardedLetter}`).length).toBe(0);
    expect(total).toMatchObject({ 'saga.events': 6, inbox: 2, dead_letters: 1, 'admin.audit_log': 1 });
    expect(pruned).toEqual(Object.fromEntries(Object.entries(total).filter(([, n]) => n > 0)));

    // Kept: a saga that ended two days ago, a saga still running (40 days old), a saga whose
    // dead letter is still open, the open letter itself, the audit row ten days old, and every saga row.
    expect(await events(recentCompleted)).toBe(3);
    expect(await events(longRunning)).toBe(3);
    expect(await inbox(longRunning)).toBe(1);
    expect(await events(oldWithOpenLetter)).toBe(3);
    expect(await inbox(oldWithOpenLetter)).toBe(1);
    expect((await database.sql`select id from dead_letters where id = ${openLetter}`).length).toBe(1);
    expect((await database.sql`select id from admin.audit_log`).length).toBe(1);
    expect((await database.sql`select id from saga.instances`).length).toBe(5);

    // A second run finds nothing more.
    expect(Object.values(await runner.run()).every((n) => n === 0)).toBe(true);
  });

  it('runs one runner at a time across processes: a pass while another holds the lock does nothing', async () => {
    const old = await saga('completed', 40);
    const runner = new RetentionRunner({ database, intervalMs: 0, logger: silentLogger });
    let release: () => void = () => undefined;
    const released = new Promise<void>((resolve) => (release = resolve));
    let holding: () => void = () => undefined;
    const held = new Promise<void>((resolve) => (holding = resolve));
    // Another process's runner, mid-pass: it holds the advisory lock in its transaction.
    const other = database.sql.begin(async (tx) => {
      await tx`select pg_advisory_xact_lock(${RETENTION_LOCK_KEY})`;
      holding();
      await released;
    });
    await held;
    expect(await runner.pass()).toEqual({ skipped: true });
    expect(await events(old)).toBe(3);
    release();
    await other;
    expect(await runner.pass()).toMatchObject({ skipped: false, pruned: { 'saga.events': 3 } });
    expect(await events(old)).toBe(0);
  });
});
