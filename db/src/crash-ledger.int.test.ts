// Integration tests: the crash ledger remembers a run that never ended, across connections, and forgets one that did.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresCrashLedger } from './crash-ledger.js';
import { createMigratedTestDatabase, type MigratedTestDatabase } from './test-support/database.js';

describe('crash ledger', () => {
  let database: MigratedTestDatabase;

  beforeAll(async () => {
    database = await createMigratedTestDatabase(2);
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('counts the runs that began and never ended, and forgets a message once a run ends', async () => {
    const ledger = postgresCrashLedger(database.sql);
    const key = 'test.order.commands/5f5038c0-f448-4f84-ba1d-96c1709dac5a';
    expect(await ledger.begin(key)).toBe(0);
    // The process died: the next process, on connections of its own, finds that run.
    const next = postgresCrashLedger(database.sql);
    expect(await next.begin(key)).toBe(1);
    expect(await next.begin(key)).toBe(2);
    const [row] = await database.sql<{ runs: number }[]>`select runs from message_crashes where key = ${key}`;
    expect(row?.runs).toBe(3);
    await next.end(key);
    expect(await database.sql`select 1 from message_crashes where key = ${key}`).toHaveLength(0);
    expect(await next.begin(key)).toBe(0);
    await next.end(key);
  });

  it('keeps the messages of different queues apart', async () => {
    const ledger = postgresCrashLedger(database.sql);
    expect(await ledger.begin('a/m-1')).toBe(0);
    expect(await ledger.begin('b/m-1')).toBe(0);
    expect(await ledger.begin('a/m-1')).toBe(1);
    await ledger.end('a/m-1');
    await ledger.end('b/m-1');
  });
});
