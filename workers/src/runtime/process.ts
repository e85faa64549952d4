// A worker process: migrations, connections, topology, the selected workers and the operational endpoints.
import { hostname } from 'node:os';
import { createDatabase, migrateDatabase } from '@sagaport/db';
import {
  collectProcessMetrics,
  createLogger,
  serveOperationalEndpoints,
  type Logger,
} from '@sagaport/runtime';
import {
  buildTopology,
  connectBroker,
  declareTopology,
  waitForBroker,
  type Topology,
  type Worker,
} from '@sagaport/rabbitmq';
import { Registry } from 'prom-client';
import type { WorkerConfig } from '../config.js';
import { seedCatalogue } from '../inventory/catalogue.js';
import { SimulatedPaymentProvider } from '../payment/provider.js';
import { startWorkers } from './start.js';

export interface WorkerProcessOptions {
  readonly config: WorkerConfig;
  readonly workers: readonly Worker[];
  /** The topology to declare and consume; tests pass a prefixed one. Built from the config when omitted. */
  readonly topology?: Topology;
}

/** A running worker process. */
export interface WorkerProcess {
  /** The port /healthz, /readyz and /metrics listen on. */
  readonly port: number;
  readonly logger: Logger;
  /** Graceful shutdown: stop consuming (in-flight deliveries finish), then close HTTP, broker and database. */
  stop(): Promise<void>;
}

/**
 * Runs the selected workers as `node workers/dist/main.js` does: migrates the database (safe
 * while other processes do too), seeds an empty catalogue when it runs the inventory, declares
 * the topology (idempotent, so a worker may start before the orchestrator), starts the consumers
 * and serves the operational endpoints.
 */
export async function runWorkerProcess(options: WorkerProcessOptions): Promise<WorkerProcess> {
  const { config, workers } = options;
  const instance = `${hostname()}:${process.pid}`;
  const log = createLogger('workers', config.logLevel);
  const cleanups: (() => Promise<unknown>)[] = [];
  const closeAll = async () => {
    for (const cleanup of cleanups.reverse()) await cleanup().catch(() => undefined);
  };
  try {
    const migrated = await migrateDatabase(config.database.url);
    log.info({ applied: migrated.applied }, 'database migrated');
    const database = createDatabase({ ...config.database, applicationName: `sagaport-workers@${instance}` });
    cleanups.push(() => database.close());
    if (workers.includes('inventory') && config.seedCatalogue) {
      const seeded = await seedCatalogue(database.db);
      if (seeded > 0) log.info({ products: seeded }, 'demo catalogue seeded');
    }

    // The simulated card provider keeps its books on its own connections, outside our transactions,
    // as an external provider would.
    const providerDatabase = workers.includes('payment')
      ? createDatabase({
          ...config.database,
          poolMax: 2,
          applicationName: `sagaport-payment-provider@${instance}`,
        })
      : undefined;
    if (providerDatabase) cleanups.push(() => providerDatabase.close());

    const broker = connectBroker({ url: config.broker.url, connectionName: `sagaport-workers@${instance}` });
    cleanups.push(() => broker.close());
    await waitForBroker(broker);
    const topology =
      options.topology ??
      buildTopology({
        prefix: config.broker.topologyPrefix,
        retryTiers: config.broker.retryTiers,
        deliveryLimit: config.broker.deliveryLimit,
      });
    const setupChannel = broker.createChannel({
      name: 'workers-topology',
      setup: (channel: Parameters<typeof declareTopology>[0]) => declareTopology(channel, topology),
    });
    setupChannel.on('error', (err: Error) =>
      log.warn(
        { err },
        'topology setup failed (the connection dropped during it); it runs again on the next connection',
      ),
    );
    cleanups.push(() => setupChannel.close());
    await setupChannel.waitForConnect();

    const registry = new Registry();
    registry.setDefaultLabels({ service: 'workers' });
    collectProcessMetrics(registry);
    const running = await startWorkers({
      workers,
      db: database.db,
      sql: database.sql,
      connection: broker,
      topology,
      retry: { tiers: config.broker.retryTiers, maxAttempts: config.broker.maxAttempts },
      prefetch: config.broker.prefetch,
      crashLimit: config.broker.crashLimit,
      settings: config.settings,
      ...(providerDatabase
        ? {
            paymentProvider: new SimulatedPaymentProvider({
              slowMs: config.settings.paymentSlowMs,
              ledger: providerDatabase.sql,
            }),
          }
        : {}),
      registry,
      logger: log,
      publisher: {
        maxInFlight: config.broker.maxInFlight,
        timeoutMs: config.broker.publishTimeoutMs,
        maxMessageBytes: config.broker.maxMessageBytes,
      },
      instance,
      // OUTBOX_DISPATCH_GRACE_MS=0 sends every message through the outbox relay instead.
      publishReplies: config.dispatchGraceMs > 0,
      duplicatePublishes: config.duplicatePublishes,
      ...(config.crashOnBody ? { crashOnBody: config.crashOnBody } : {}),
      ...(config.crashAfterCommit ? { crashAfterCommit: config.crashAfterCommit } : {}),
    });
    cleanups.push(() => running.stop());

    const { server, port } = await serveOperationalEndpoints({
      port: config.metricsPort,
      host: config.host,
      registry,
      checks: {
        postgres: async () => (await database.sql`select 1`).length === 1,
        rabbitmq: () => Promise.resolve(broker.isConnected()),
      },
    });
    cleanups.push(async () => {
      server.close();
      // A scraper's keep-alive connection would otherwise hold the shutdown open.
      if ('closeAllConnections' in server) server.closeAllConnections();
    });
    log.info({ workers, metrics: `http://${config.host}:${port}/metrics` }, 'workers running');
    return { port, logger: log, stop: closeAll };
  } catch (error) {
    await closeAll();
    throw error;
  }
}
