// Liveness, readiness and Prometheus metrics endpoints, served by every process.
import { Hono } from 'hono';
import type { Registry } from 'prom-client';

/**
 * A named dependency check; resolves true when the dependency answers, false when it does not,
 * or a sentence saying why the process should not take traffic now (shown under `reasons`).
 */
export type ReadinessCheck = () => Promise<boolean | string>;

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
          return [name, up === true ? 'up' : 'down', typeof up === 'string' ? up : undefined] as const;
        }),
      );
      const ready = entries.every(([, state]) => state === 'up');
      const reasons = entries.filter(([, , reason]) => reason !== undefined);
      return c.json(
        {
          status: ready ? 'ready' : 'not-ready',
          checks: Object.fromEntries(entries.map(([name, state]) => [name, state])),
          ...(reasons.length > 0
            ? { reasons: Object.fromEntries(reasons.map(([name, , reason]) => [name, reason])) }
            : {}),
        },
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
