// The postgres.js patches (patches/postgres+3.4.9.patch) against a real server: a connection cut
// at the wrong moment fails its queries and never kills the process, and a result built the
// patched way still carries its count, command, columns and statement as before.
import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import postgres from 'postgres';
import { afterEach, describe, expect, it } from 'vitest';
import { DEFAULT_DATABASE_URL } from './config.js';

const serverUrl = new URL(process.env.DATABASE_URL || DEFAULT_DATABASE_URL);

/** Listens on a free loopback port; the test server's URL through it, and how to close it with `sockets`. */
async function listen(server: net.Server, sockets: Set<net.Socket>) {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = new URL(serverUrl);
  url.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: url.toString(),
    close: async () => {
      for (const socket of sockets) socket.destroy();
      server.close();
      await once(server, 'close');
    },
  };
}

/**
 * A TCP proxy to the test server that cuts (resets) the first connection whose client sends
 * `marker`, before the server sees it; every other connection passes through untouched.
 */
async function cuttingProxy(marker: string) {
  let cut = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(serverUrl.port || 5432), serverUrl.hostname);
    sockets.add(client).add(upstream);
    client.on('error', () => undefined);
    upstream.on('error', () => undefined);
    client.on('data', (chunk: Buffer) => {
      if (cut === 0 && chunk.includes(marker)) {
        cut += 1;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => client.write(chunk));
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return { ...(await listen(server, sockets)), cuts: () => cut };
}

/** A TCP proxy to the test server that can cut every connection and turn new ones away for a while. */
async function switchableProxy() {
  let refusing = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    // Accepted and closed at once, as a server that is shutting down or starting up answers.
    if (refusing) return void client.destroy();
    const upstream = net.connect(Number(serverUrl.port || 5432), serverUrl.hostname);
    sockets.add(client).add(upstream);
    for (const socket of [client, upstream]) socket.on('error', () => undefined);
    client.pipe(upstream).pipe(client);
    client.on('close', () => upstream.destroy());
    upstream.on('close', () => client.destroy());
  });
  return {
    ...(await listen(server, sockets)),
    /** Resets every open connection and closes new ones at once for `ms`. */
    outage: async (ms: number) => {
      refusing = true;
      for (const socket of sockets) socket.resetAndDestroy();
      sockets.clear();
      await new Promise((resolve) => setTimeout(resolve, ms));
      refusing = false;
    },
  };
}

/** `promise`'s outcome, or 'pending' if it has not settled within `ms`. */
const within = <T>(promise: Promise<T>, ms: number): Promise<T | 'pending'> =>
  Promise.race([promise, new Promise<'pending'>((resolve) => setTimeout(() => resolve('pending'), ms))]);

describe('postgres.js patches', () => {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    process.off('unhandledRejection', onUnhandled);
    unhandled.length = 0;
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });

  it('fails the query, not the process, when a new connection is cut while it fetches the array types', async () => {
    process.on('unhandledRejection', onUnhandled);
    // postgres.js's first statement on a new connection reads pg_type (fetch_types): cut it there.
    const proxy = await cuttingProxy('pg_catalog.pg_type');
    cleanups.push(proxy.close);
    const sql = postgres(proxy.url, { max: 1, onnotice: () => undefined });
    cleanups.push(() => sql.end({ timeout: 1 }));

    const first = await sql`select 1 as one`.then(
      () => 'answered',
      (error: { code?: string }) => error.code,
    );
    // Let a dropped promise's rejection surface (Node reports it after the microtasks drain).
    await new Promise((resolve) => setTimeout(resolve, 200));

    expect(proxy.cuts()).toBe(1);
    expect(first).toMatch(/^(ECONNRESET|CONNECTION_CLOSED)$/);
    expect(unhandled).toEqual([]);
    // The pool reconnects and answers; the next connection fetched the array types. (The first
    // statement of a new connection is built before the types arrive, so it carries no array.)
    await sql`select 1`;
    const [row] = await sql<{ n: number }[]>`select cardinality(${sql.array(['a', 'b'])}::text[])::int as n`;
    expect(row?.n).toBe(2);
  });

  it('hands a waiting reserve the reconnected connection when the server ends the one it waited for', async () => {
    const sql = postgres(serverUrl.toString(), { max: 1, onnotice: () => undefined });
    const admin = postgres(serverUrl.toString(), { max: 1, onnotice: () => undefined });
    cleanups.push(
      () => sql.end({ timeout: 1 }),
      () => admin.end({ timeout: 1 }),
    );
    const holder = await sql.reserve();
    const [row] = await holder<{ pid: number }[]>`select pg_backend_pid() as pid`;
    const pid = row!.pid;
    // The pool's only connection is taken: this reserve waits in the queue for it.
    const waiting = sql.reserve().then((reserved) => {
      reserved.release();
      return 'reserved';
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    await admin`select pg_terminate_backend(${pid})`;

    // Unpatched, the reconnect took the waiting reserve as its first query and dropped it.
    expect(await within(waiting, 5_000)).toBe('reserved');
    expect(
      await within(
        sql`select 1 as one`.then(() => 'answered'),
        5_000,
      ),
    ).toBe('answered');
  });

  it('settles every waiting reserve when all connections are cut, and the pool serves again after', async () => {
    const proxy = await switchableProxy();
    cleanups.push(proxy.close);
    const sql = postgres(proxy.url, { max: 2, onnotice: () => undefined });
    cleanups.push(() => sql.end({ timeout: 1 }));
    const held = [await sql.reserve(), await sql.reserve()];
    expect(held).toHaveLength(2);
    const waiting = [1, 2, 3, 4].map(() =>
      sql.reserve().then(
        (reserved) => {
          reserved.release();
          return 'reserved';
        },
        (error: { code?: string }) => `failed: ${error.code}`,
      ),
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    await proxy.outage(1_500);

    // Each waiter either failed with the outage (its connection attempt was refused) or got a
    // connection once the server was back; unpatched, they stayed pending for good.
    const outcomes = await within(Promise.all(waiting), 8_000);
    expect(outcomes).not.toBe('pending');
    for (const outcome of outcomes as string[])
      expect(outcome).toMatch(/^(reserved|failed: E\w+|failed: CONNECTION_\w+)$/);
    // No connection was stranded: both of the pool's connections serve reserves again.
    const again = [await within(sql.reserve(), 5_000), await within(sql.reserve(), 5_000)];
    expect(again).not.toContain('pending');
    for (const reserved of again) (reserved as postgres.ReservedSql).release();
    expect(
      await within(
        sql`select 1 as one`.then(() => 'answered'),
        5_000,
      ),
    ).toBe('answered');
  });

  it('reconnects a connection that closed while a write of it waited for the next turn of the event loop', async () => {
    // postgres.js sends a small write on the next turn (setImmediate). A close seen before that
    // turn cancelled the timer but left it marked as set, with the unsent bytes still buffered:
    // every later connection of that slot then buffered its startup message behind them and
    // never sent it, failing each attempt with CONNECT_TIMEOUT. After a few PostgreSQL restarts
    // under load, a whole pool was dead this way.
    const sockets: net.Socket[] = [];
    // postgres.js's `socket` option (a function that returns a connected socket) is not in its types.
    const ownSockets = {
      socket: async () => {
        const socket = net.connect(Number(serverUrl.port || 5432), serverUrl.hostname);
        await once(socket, 'connect');
        sockets.push(socket);
        return socket;
      },
    };
    const sql = postgres(serverUrl.toString(), {
      max: 1,
      connect_timeout: 2,
      onnotice: () => undefined,
      ...ownSockets,
    });
    cleanups.push(() => sql.end({ timeout: 1 }));
    await sql`select 1`;

    // Queried from an immediate, the write waits for the next turn's immediates, and the close
    // of a socket destroyed now is handled in this turn's close phase, before them.
    const cut = await new Promise<Promise<unknown>>((resolve) =>
      setImmediate(() => {
        const query = sql`select 2`.execute();
        sockets.at(-1)!.destroy();
        resolve(
          query.then(
            () => 'answered',
            (error: { code?: string }) => error.code,
          ),
        );
      }),
    );
    expect(await cut).toBe('CONNECTION_CLOSED');

    // Unpatched: CONNECT_TIMEOUT after 2 s, again and again.
    const [row] = await sql<{ n: number }[]>`select 3 as n`;
    expect(row?.n).toBe(3);
    expect(sockets).toHaveLength(2);
  });

  it('fails a query whose new connection the server hangs up at once, and backs off instead of reconnecting in a loop', async () => {
    // A listener that accepts and closes every connection cleanly, as a proxy with no database
    // behind it does: before the patch the query never settled while the pool reconnected
    // hundreds of times a second.
    let accepted = 0;
    const sockets = new Set<net.Socket>();
    const server = net.createServer((client) => {
      accepted += 1;
      client.on('error', () => undefined);
      client.on('close', () => sockets.delete(client));
      sockets.add(client);
      client.end();
    });
    const { url, close } = await listen(server, sockets);
    cleanups.push(close);
    const sql = postgres(url, { max: 1, onnotice: () => undefined });
    cleanups.push(() => sql.end({ timeout: 1 }));

    const outcome = (query: Promise<unknown>) =>
      within(
        query.then(
          () => 'answered',
          (error: { code?: string }) => error.code,
        ),
        5_000,
      );
    expect(await outcome(sql`select 1`)).toBe('CONNECTION_CLOSED');
    // Queries keep failing while it lasts, each connection attempt later than the one before.
    const started = performance.now();
    const outcomes: unknown[] = [];
    while (performance.now() - started < 1_500) outcomes.push(await outcome(sql`select 1`));
    expect(new Set(outcomes)).toEqual(new Set(['CONNECTION_CLOSED']));
    expect(accepted).toBeLessThan(12);
  });

  it('gives a result its count, command, columns and statement, outside its keys and its JSON', async () => {
    const sql = postgres(serverUrl.toString(), { max: 1, onnotice: () => undefined });
    cleanups.push(() => sql.end());
    const rows = await sql`select n from generate_series(1, 3) as n`;
    expect(rows).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(rows.count).toBe(3);
    expect(rows.command).toBe('SELECT');
    expect(rows.columns.map((c) => c.name)).toEqual(['n']);
    expect(rows.statement.string).toContain('generate_series');
    expect(Object.keys(rows)).toEqual(['0', '1', '2']);
    expect(JSON.stringify(rows)).toBe('[{"n":1},{"n":2},{"n":3}]');
    // Two statements in one simple query: one result each, each with its own count.
    const [first, second] = await sql.unsafe('select 1 as a; select 2 as b union all select 3').simple();
    expect([first!.count, second!.count]).toEqual([1, 2]);
    const inserted = await sql.begin(async (tx) => {
      await tx`create temp table t (x int)`;
      return tx`insert into t values (1), (2)`;
    });
    expect([inserted.command, inserted.count]).toEqual(['INSERT', 2]);
  });
});
