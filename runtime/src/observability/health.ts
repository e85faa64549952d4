// Liveness, readiness and Prometheus metrics endpoints, served by every process.
import { Hono } from 'hono';
import type { Registry } from 'prom-client';

/** A named dependency check; resolves true when the dependency answers. */
export type ReadinessCheck = () => Promise<boolean>;

/**
 * `/healthz` (the process runs), `/readyz` (its dependencies answer) and, given a registry, `/metrics`.
 * Without one, the metrics stay off this app: a process with a public port serves them on another address.
 */
export function healthRoutes(checks: Record<string, ReadinessCheck>, registry?: Registry) {
  const app = new Hono()
    .get('/healthz', (c) => c.json({ status: 'ok' }))
    .get('/readyz', async (c) => {
      const entries = await Promise.all(
        Object.entries(checks).map(async ([name, check]) => {
          const up = await Promise.race([
            check().catch(() => false),
            new Promise<boolean>((r) => setTimeout(() => r(false), 2_000)),
          ]);
          return [name, up ? 'up' : 'down'] as const;
        }),
      );
      const ready = entries.every(([, state]) => state === 'up');
      return c.json(
        { status: ready ? 'ready' : 'not-ready', checks: Object.fromEntries(entries) },
        ready ? 200 : 503,
      );
    });
  if (!registry) return app;
  return app.get('/metrics', async (c) => {
    c.header('Content-Type', registry.contentType);
    return c.body(await registry.metrics());
  });
}
