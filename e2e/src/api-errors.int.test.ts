import { connect, createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutBody } from './client.js';
import { System, type ManagedProcess } from './harness.js';

/** A TCP proxy to PostgreSQL that the test can cut: PostgreSQL unreachable for this process only. */
class CuttableProxy {
  private constructor(
    private readonly server: Server,
    readonly port: number,
    private readonly state: { cut: boolean; sockets: Set<Socket> },
  ) {}

  static async start(target: { host: string; port: number }): Promise<CuttableProxy> {
    const state = { cut: false, sockets: new Set<Socket>() };
    const server = createServer((client) => {
      if (state.cut) return client.destroy();
      const upstream = connect(target.port, target.host);
      for (const [a, b] of [
        [client, upstream],
        [upstream, client],
      ] as const) {
        a.pipe(b);
        a.on('error', () => b.destroy());
        a.on('close', () => b.destroy());
        state.sockets.add(a);
      }
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    return new CuttableProxy(server, typeof address === 'object' && address ? address.port : 0, state);
  }

  /** Drops every connection and refuses new ones. */
  cutOff(): void {
    this.state.cut = true;
    for (const socket of this.state.sockets) socket.destroy();
  }

  close(): Promise<void> {
    this.cutOff();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

describe('an unhandled error in either API (PostgreSQL unreachable, real orchestrator process)', () => {
  let system: System;
  let proxy: CuttableProxy;
  let api: ManagedProcess;
  beforeAll(async () => {
    system = await System.create({ catalogue: [{ sku: 'SKU-E1', priceCents: 100, available: 10 }] });
    const url = new URL(system.database.url);
    proxy = await CuttableProxy.start({ host: url.hostname, port: Number(url.port || 5432) });
    url.port = String(proxy.port);
    url.hostname = '127.0.0.1';
    api = await system.startOrchestrator({
      DATABASE_URL: url.toString(),
      LOG_LEVEL: 'info',
      CATALOGUE_CACHE_MS: '0',
    });
    proxy.cutOff();
  });
  afterAll(async () => {
    await proxy?.close();
    await system?.stop();
  });

  const logLines = () =>
    api.output
      .join('')
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as Record<string, unknown>);

  const cases: { api: string; method: string; path: string; body: unknown }[] = [
    {
      api: 'the checkout API',
      method: 'POST',
      path: '/checkouts',
      body: checkoutBody({ items: [{ sku: 'SKU-E1', quantity: 1 }] }),
    },
    {
      api: 'the admin API',
      method: 'POST',
      path: '/api/admin/auth/login',
      body: { email: 'nobody@sagaport.test', password: 'x'.repeat(12) },
    },
  ];
  it.each(cases)(
    '$api answers problem+json 500, with its request id, and logs the error once',
    async ({ method, path, body }) => {
      const requestId = `test-${Math.random().toString(36).slice(2)}`;
      const response = await fetch(`http://127.0.0.1:${api.port}${path}`, {
        method,
        headers: {
          'content-type': 'application/json',
          'idempotency-key': crypto.randomUUID(),
          'x-request-id': requestId,
        },
        body: JSON.stringify(body),
        signal: AbortSignal.timeout(30_000),
      });
      expect(response.status).toBe(500);
      expect(response.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(response.headers.get('x-request-id')).toBe(requestId);
      expect(await response.json()).toMatchObject({ status: 500, title: 'Internal error' });
      await expect
        .poll(() => logLines().filter((l) => l['request_id'] === requestId && l['msg'] === 'request'), {
          timeout: 5_000,
        })
        .toHaveLength(1);
      const lines = logLines().filter((l) => l['request_id'] === requestId);
      const errors = lines.filter((l) => Number(l['level']) >= 50);
      expect(errors, JSON.stringify(lines)).toHaveLength(1);
      expect(errors[0]).toHaveProperty('err');
      const access = lines.find((l) => l['msg'] === 'request')!;
      expect(access).toMatchObject({ method, path, status: 500 });
    },
  );
});
