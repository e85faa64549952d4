// Serves /healthz, /readyz and /metrics on their own port, for processes without an API (workers).
import { serve, type ServerType } from '@hono/node-server';
import type { Registry } from 'prom-client';
import { healthRoutes, type ReadinessCheck } from './health.js';

/** Starts the operational HTTP endpoints; resolves with the server and the port it bound (0 = any free port). */
export function serveOperationalEndpoints(options: {
  port: number;
  host: string;
  checks: Record<string, ReadinessCheck>;
  registry: Registry;
}): Promise<{ server: ServerType; port: number }> {
  const app = healthRoutes(options.checks, options.registry);
  return new Promise((resolve) => {
    const server = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, (info) =>
      resolve({ server, port: info.port }),
    );
  });
}
