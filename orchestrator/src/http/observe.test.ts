import { Hono } from 'hono';
import { Counter, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { observeRequests } from './observe.js';

function observedApp() {
  const registry = new Registry();
  const lines: Record<string, unknown>[] = [];
  const logger = {
    info: (fields: object) => lines.push(fields as Record<string, unknown>),
    warn: () => {},
    error: () => {},
  };
  const requests = new Counter({
    name: 'req_total',
    help: 'h',
    labelNames: ['api', 'route', 'method', 'status'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'req_seconds',
    help: 'h',
    labelNames: ['api', 'route', 'method'] as const,
    registers: [registry],
  });
  const app = new Hono()
    .use('*', observeRequests({ logger, requests, duration }))
    .get('/checkouts/:id', (c) => c.json({ id: c.req.param('id') }))
    .route(
      '/api/admin',
      new Hono().get('/sagas/:id', (c) => c.json({})),
    );
  app.notFound((c) => c.json({}, 404));
  const series = async () => (await registry.getSingleMetric('req_total')!.get()).values.map((v) => v.labels);
  return { app, lines, series };
}

describe('the request observer', () => {
  it('labels by route template, so ids and unknown paths create no new series', async () => {
    const { app, series } = observedApp();
    for (const id of ['a', 'b', 'c']) await app.request(`/checkouts/${id}`);
    await app.request(`/api/admin/sagas/${crypto.randomUUID()}`);
    for (const path of ['/wp-admin', `/x/${crypto.randomUUID()}`]) await app.request(path);
    await app.request('/checkouts/a', { method: 'PROPFIND' });
    expect(await series()).toEqual([
      { api: 'checkout', route: '/checkouts/:id', method: 'GET', status: '200' },
      { api: 'admin', route: '/api/admin/sagas/:id', method: 'GET', status: '200' },
      { api: 'other', route: 'unknown', method: 'GET', status: '404' },
      { api: 'checkout', route: 'unknown', method: 'OTHER', status: '404' },
    ]);
  });

  it('gives every request an id (kept from a sane x-request-id, else new) and one access log line', async () => {
    const { app, lines } = observedApp();
    const kept = await app.request('/checkouts/a', { headers: { 'x-request-id': 'req-123' } });
    expect(kept.headers.get('x-request-id')).toBe('req-123');
    const replaced = await app.request('/checkouts/a', {
      headers: { 'x-request-id': 'bad id\twith spaces' },
    });
    expect(replaced.headers.get('x-request-id')).toMatch(/^[\da-f-]{36}$/);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatchObject({
      request_id: 'req-123',
      api: 'checkout',
      method: 'GET',
      path: '/checkouts/a',
      route: '/checkouts/:id',
      status: 200,
    });
  });
});
