// `node orchestrator/dist/main.js`: migrate, declare the topology, seed nothing, run the orchestrator on PORT.
import { serve } from '@hono/node-server';
import { hostname } from 'node:os';
import { createDatabase, migrateDatabase } from '@sagaport/db';
import { buildTopology, connectBroker, declareTopology, waitForBroker } from '@sagaport/rabbitmq';
import { createAdminDatabase } from '@sagaport/admin-api';
import { loadConfig } from './config.js';
import { consoleBuildRoot } from './http/console.js';
import { createLogger, serveOperationalEndpoints, startTracing } from '@sagaport/runtime';
import { startOrchestrator } from './orchestrator.js';

async function main(): Promise<void> {
  // First: the consumers and the HTTP middleware ask at construction whether to trace.
  const tracing = await startTracing('sagaport-orchestrator');
  const config = loadConfig();
  const log = createLogger('orchestrator', config.logLevel);

  const migrated = await migrateDatabase(config.database.url);
  log.info({ applied: migrated.applied }, 'database migrated');
  const database = createDatabase({ ...config.database, applicationName: 'sagaport-orchestrator' });
  const adminDatabase = createAdminDatabase(config.database, config.admin);

  const broker = connectBroker({
    url: config.broker.url,
    connectionName: `sagaport-orchestrator@${hostname()}:${process.pid}`,
  });
  await waitForBroker(broker);
  const topology = buildTopology({
    prefix: config.broker.topologyPrefix,
    retryTiers: config.broker.retryTiers,
    deliveryLimit: config.broker.deliveryLimit,
  });
  const topologyChannel = broker.createChannel({
    setup: (channel: Parameters<typeof declareTopology>[0]) => declareTopology(channel, topology),
  });
  // Without a listener, a setup cut short by a broker restart would crash the process.
  topologyChannel.on('error', (err: Error) =>
    log.warn(
      { err },
      'topology setup failed (the connection dropped during it); it runs again on the next connection',
    ),
  );
  await topologyChannel.waitForConnect();
  log.info({ queues: topology.declarations.queues.length }, 'topology declared');

  const consoleRoot = consoleBuildRoot();
  if (!consoleRoot) log.warn({}, 'no console build (@sagaport/admin-ui/dist): serving the APIs only');
  const orchestrator = await startOrchestrator({
    database,
    adminDatabase,
    broker,
    topology,
    settings: config.saga,
    retry: { tiers: config.broker.retryTiers, maxAttempts: config.broker.maxAttempts },
    prefetch: config.broker.prefetch,
    crashLimit: config.broker.crashLimit,
    publishTimeoutMs: config.broker.publishTimeoutMs,
    maxInFlight: config.broker.maxInFlight,
    maxMessageBytes: config.broker.maxMessageBytes,
    logger: log,
    consumerName: `orchestrator@${hostname()}:${process.pid}`,
    admin: config.admin,
    metricsSampleIntervalMs: config.metrics.sampleIntervalMs,
    ...(consoleRoot ? { consoleRoot } : {}),
  });
  // Metrics are for the scraper, not the public: their own address, loopback by default.
  const metricsServer = await serveOperationalEndpoints({
    host: config.metrics.host,
    port: config.metrics.port,
    checks: orchestrator.readiness,
    registry: orchestrator.metrics.registry,
  });
  log.info({ url: `http://${config.metrics.host}:${metricsServer.port}/metrics` }, 'metrics are served');

  const server = serve({ fetch: orchestrator.app.fetch, port: config.port, hostname: config.host }, (info) =>
    log.info({ url: `http://${config.host}:${info.port}` }, 'Sagaport orchestrator is listening'),
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, 'shutting down: finishing in-flight work');
    server.close();
    metricsServer.server.close();
    await orchestrator.stop();
    await topologyChannel.close();
    await broker.close();
    await adminDatabase.close();
    await database.close();
    await tracing.shutdown().catch(() => undefined);
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(`sagaport orchestrator: ${(error as Error).message}`);
  process.exit(1);
});
