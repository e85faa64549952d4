// The pipelined transaction against the real PostgreSQL: atomic although BEGIN and COMMIT share round trips.
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@sagaport/db/testing';
import net from 'node:net';
import { once } from 'node:events';
import postgres from 'postgres';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pipelinedTransaction, TransactionAborted } from './pipelined-transaction.js';

describe('pipelinedTransaction', () => {
  let database: MigratedTestDatabase;
  const insert = async (sql: postgres.Sql | postgres.ReservedSql, id: number) => {
    // An awaited query inside a helper: postgres.js would send it a microtask late.
    await sql`insert into pipeline_probe (id) values (${id})`;
  };
  const ids = async () =>
    (await database.sql<{ id: number }[]>`select id from pipeline_probe order by id`).map((r) => r.id);

  beforeAll(async () => {
    database = await createMigratedTestDatabase(4, 'pipeline-test');
    await database.sql`create table pipeline_probe (id int primary key)`;
  });
  beforeEach(async () => {
    await database.sql`delete from pipeline_probe`;
  });
  afterAll(async () => {
    await database?.dispose();
  });

  it('runs statements created beside COMMIT inside the transaction, before the COMMIT', async () => {
    const [, [inside]] = await pipelinedTransaction(database.sql, async (tx, commit) =>
      Promise.all([
        insert(tx, 1),
        tx<{ inside: boolean }[]>`select now() <> statement_timestamp() as inside`,
        commit(),
      ]),
    );
    expect(inside).toEqual({ inside: true });
    expect(await ids()).toEqual([1]);
  });

  it('writes nothing when a statement sent before the COMMIT fails, even one sent after it', async () => {
    await expect(
      pipelinedTransaction(database.sql, async (tx, commit) => {
        await insert(tx, 1);
        await Promise.all([insert(tx, 2), tx`select 1/0`, insert(tx, 3), commit()]);
      }),
    ).rejects.toThrow('division by zero');
    expect(await ids()).toEqual([]);
  });

  it('reports a COMMIT that PostgreSQL turned into a ROLLBACK', async () => {
    await expect(
      pipelinedTransaction(database.sql, async (tx, commit) => {
        await tx`select 1/0`.catch(() => undefined);
        await commit();
      }),
    ).rejects.toBeInstanceOf(TransactionAborted);
  });

  it('rolls back when the work throws before committing, and leaves the connection usable', async () => {
    await expect(
      pipelinedTransaction(database.sql, async (tx) => {
        await insert(tx, 1);
        throw new Error('changed my mind');
      }),
    ).rejects.toThrow('changed my mind');
    expect(await ids()).toEqual([]);
    await pipelinedTransaction(database.sql, (tx) => insert(tx, 2));
    expect(await ids()).toEqual([2]);
  });

  it('fails when its connection dies mid-transaction, writes nothing, and leaves the pool usable', async () => {
    const attempt = pipelinedTransaction(database.sql, async (tx, commit) => {
      const [backend] = await tx<{ pid: number }[]>`select pg_backend_pid() as pid`;
      await database.sql`select pg_terminate_backend(${backend!.pid})`;
      await Promise.all([insert(tx, 1), insert(tx, 2), commit()]);
    });
    const outcome = await Promise.race([
      attempt.then(
        () => 'committed',
        () => 'failed',
      ),
      new Promise((resolve) => setTimeout(() => resolve('hung'), 10_000)),
    ]);
    expect(outcome).toBe('failed');
    expect(await ids()).toEqual([]);
    // The pool works on: every transaction goes through, at worst after one retry (the consumer's
    // answer to a transient error). postgres.js may hand the terminated session's last message to
    // the first query of the reconnected connection; a dead connection handed back as open would
    // fail every time.
    const once = (id: number) => pipelinedTransaction(database.sql, (tx) => insert(tx, id));
    await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        once(10 + i).catch((error: { code?: string }) => {
          expect(error.code).toBe('57P01'); // admin_shutdown: the terminated session's farewell
          return once(10 + i);
        }),
      ),
    );
    expect(await ids()).toHaveLength(8);
  });

  it('fails, not hangs, when its connection closes while the COMMIT waits behind a statement being described', async () => {
    // A statement new to the connection is described before anything behind it is sent, so the
    // COMMIT waits in the reserved connection's own queue, which postgres.js never fails when the
    // connection closes. Only the transaction's watch on the connection ends the wait; it used to
    // be removed before the wait, and a reply batch hung for good after PostgreSQL restarted.
    const sockets: net.Socket[] = [];
    // postgres.js's `socket` option (a function that returns a connected socket) is not in its types.
    const ownSockets = {
      socket: async () => {
        const url = new URL(database.url);
        const socket = net.connect(Number(url.port || 5432), url.hostname);
        await once(socket, 'connect');
        sockets.push(socket);
        return socket;
      },
    };
    const single = postgres(database.url, { max: 1, onnotice: () => undefined, ...ownSockets });
    try {
      await single`select 1`;
      const boom = new Error('the work failed after sending its COMMIT');
      const attempt = pipelinedTransaction(single, async (tx, commit) => {
        void tx`select ${'new to this connection'}::text as fresh`.catch(() => undefined);
        void commit().catch(() => undefined);
        sockets.at(-1)!.destroy();
        throw boom;
      });
      const outcome = await Promise.race([
        attempt.then(
          () => 'committed',
          (error: unknown) => (error === boom ? 'failed' : String(error)),
        ),
        new Promise((resolve) => setTimeout(() => resolve('hung'), 5_000)),
      ]);
      expect(outcome).toBe('failed');
      // The connection was not handed back as open: the pool reconnects and serves.
      const [row] = await single<{ n: number }[]>`select 2 as n`;
      expect(row?.n).toBe(2);
    } finally {
      await single.end({ timeout: 1 });
    }
  });

  it("rolls back and releases its connection when the work fails with another connection's error", async () => {
    // One connection: a transaction left open on it would make the next one wait for ever.
    const single = postgres(database.url, { max: 1, onnotice: () => undefined });
    try {
      // What a payment provider's own pool throws when PostgreSQL restarts under it: the error
      // looks like a lost connection, but this transaction's connection is fine.
      const elsewhere = Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' });
      await expect(
        pipelinedTransaction(single, async (tx) => {
          await insert(tx, 1);
          throw elsewhere;
        }),
      ).rejects.toBe(elsewhere);
      const next = pipelinedTransaction(single, (tx) => insert(tx, 2));
      const outcome = await Promise.race([
        next.then(() => 'committed'),
        new Promise((resolve) => setTimeout(() => resolve('hung'), 5_000)),
      ]);
      expect(outcome).toBe('committed');
      expect(await ids()).toEqual([2]);
      const [open] = await database.sql<{ n: number }[]>`
        select count(*)::int as n from pg_stat_activity
        where datname = current_database() and state like 'idle in transaction%'`;
      expect(open!.n).toBe(0);
    } finally {
      await single.end({ timeout: 1 });
    }
  });
});
