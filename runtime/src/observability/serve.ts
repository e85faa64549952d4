// Serves /healthz, /readyz and /metrics on their own port, for processes without an API (workers).
import { serve, type ServerType } from '@hono/node-server';
import type { Registry } from 'prom-client';
import { healthRoutes, type ReadinessCheck } from './health.js';

/**
 * Starts the operational HTTP endpoints; resolves with the server and the port it bound (0 = any
 * free port), or rejects when the address cannot be bound (a port in use), naming it.
 */
export function serveOperationalEndpoints(options: {
  port: number;
  host: string;
  checks: Record<string, ReadinessCheck>;
  registry: Registry;
}): Promise<{ server: ServerType; port: number }> {
  const app = healthRoutes(options.checks, options.registry);
  return new Promise((resolve, reject) => {
    const server = serve({ fetch: app.fetch, port: options.port, hostname: options.host }, (info) =>
      resolve({ server, port: info.port }),
    );
    server.once('error', (error: Error) =>
      reject(
        new Error(`cannot serve metrics on ${options.host}:${options.port}: ${error.message}`, {
          cause: error,
        }),
      ),
    );
  });
}
