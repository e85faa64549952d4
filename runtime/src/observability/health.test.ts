import { testClient } from 'hono/testing';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { healthRoutes, readinessRoutes } from './health.js';

describe('health routes', () => {
  const registry = new Registry();
  registry.setDefaultLabels({ service: 'test' });

  it('answers /healthz while the process runs', async () => {
    const client = testClient(healthRoutes({}, registry));
    const response = await client.healthz.$get();
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });

  it('is ready only when every check answers, and names the one that does not', async () => {
    const client = testClient(
      healthRoutes(
        { postgres: () => Promise.resolve(true), rabbitmq: () => Promise.reject(new Error('down')) },
        registry,
      ),
    );
    const response = await client.readyz.$get();
    expect(response.status).toBe(503);
    expect(await response.json()).toEqual({
      status: 'not-ready',
      checks: { postgres: 'up', rabbitmq: 'down' },
    });
  });

  it('serves Prometheus text from the registry', async () => {
    const client = testClient(healthRoutes({}, registry));
    const response = await client.metrics.$get();
    expect(response.headers.get('content-type')).toContain('text/plain');
    expect(await response.text()).toBe(await registry.metrics());
  });

  it('serves no /metrics without a registry (a public port keeps its metrics elsewhere)', async () => {
    const response = await readinessRoutes({}).request('/metrics');
    expect(response.status).toBe(404);
  });
});
