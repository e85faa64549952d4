// `npm start`: migrates the database, declares the broker topology and serves HTTP on PORT.
import { serve } from '@hono/node-server';
import { serveStatic } from '@hono/node-server/serve-static';
import { createDatabase, migrateDatabase } from '@sagaport/db';
import { buildTopology, connectBroker, declareTopology, waitForBroker } from '@sagaport/rabbitmq';
import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { loadConfig } from './config.js';
import { healthRoutes } from './observability/health.js';
import { createLogger } from './observability/logger.js';

const consoleDist = fileURLToPath(new URL('../../admin-ui/dist', import.meta.url));

async function main(): Promise<void> {
  const config = loadConfig();
  const log = createLogger('orchestrator', config.logLevel);

  const migrated = await migrateDatabase(config.database.url);
  log.info({ applied: migrated.applied }, 'database migrated');
  const database = createDatabase({ ...config.database, applicationName: 'sagaport-orchestrator' });

  const broker = connectBroker({ url: config.broker.url, connectionName: 'sagaport-orchestrator' });
  await waitForBroker(broker);
  const topology = buildTopology({
    retryTiers: config.broker.retryTiers,
    deliveryLimit: config.broker.deliveryLimit,
  });
  const setupChannel = broker.createChannel({
    setup: (channel: Parameters<typeof declareTopology>[0]) => declareTopology(channel, topology),
  });
  await setupChannel.waitForConnect();
  log.info({ queues: topology.declarations.queues.length }, 'topology declared');

  const registry = new Registry();
  registry.setDefaultLabels({ service: 'orchestrator' });
  collectDefaultMetrics({ register: registry });

  const app = new Hono().route(
    '/',
    healthRoutes(
      {
        postgres: async () => (await database.sql`select 1`).length === 1,
        rabbitmq: () => Promise.resolve(broker.isConnected()),
      },
      registry,
    ),
  );
  if (existsSync(consoleDist)) {
    app.use('/*', serveStatic({ root: relative(process.cwd(), consoleDist) }));
  }

  const server = serve({ fetch: app.fetch, port: config.port, hostname: config.host }, (info) =>
    log.info({ url: `http://${config.host}:${info.port}` }, 'Sagaport is listening'),
  );

  const shutdown = async (signal: string) => {
    log.info({ signal }, 'shutting down');
    server.close();
    await setupChannel.close();
    await broker.close();
    await database.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`sagaport: ${(error as Error).message}`);
  process.exit(1);
});
