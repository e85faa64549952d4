// Liveness, readiness and Prometheus metrics endpoints, served by every process.
import { Hono } from 'hono';
import type { Registry } from 'prom-client';

/** A named dependency check; resolves true when the dependency answers. */
export type ReadinessCheck = () => Promise<boolean>;

/** `/healthz` (the process runs) and `/readyz` (its dependencies answer), without metrics: for a public port. */
export function readinessRoutes(checks: Record<string, ReadinessCheck>) {
  return new Hono()
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
}

/** `/healthz`, `/readyz` and `/metrics`: the operational endpoints, on an address of their own. */
export function healthRoutes(checks: Record<string, ReadinessCheck>, registry: Registry) {
  return readinessRoutes(checks).get('/metrics', async (c) => {
    c.header('Content-Type', registry.contentType);
    return c.body(await registry.metrics());
  });
}
