// In-process orchestrator on a fresh database and a prefixed topology, for integration tests.
import { products } from '@sagaport/db';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@sagaport/db/testing';
import { silentLogger } from '@sagaport/rabbitmq';
import { createTestBroker, type TestBroker } from '@sagaport/rabbitmq/testing';
import type { DatabaseHandle } from '@sagaport/db';
import { type AdminSettings, createAdminDatabase, defaultAdminSettings } from '@sagaport/admin-api';
import type { SagaSettings } from '../config.js';
import { startOrchestrator, type Orchestrator, type OrchestratorOptions } from '../orchestrator.js';

export interface TestStack {
  readonly orchestrator: Orchestrator;
  readonly database: MigratedTestDatabase;
  /** The admin API's own pool, as in production: small, with a statement timeout. */
  readonly adminDatabase: DatabaseHandle;
  readonly broker: TestBroker;
  cleanup(): Promise<void>;
}

/** A catalogue of a few skus for tests: price 500 cents, 100 units each. */
export const testCatalogue = ['SKU-001', 'SKU-002', 'SKU-003'].map((sku) => ({
  sku,
  name: `Test ${sku}`,
  priceCents: 500,
  currency: 'EUR',
  available: 100,
}));

/**
 * Projection runners for tests of the projection routes: on, applying at once (no linger), a short
 * lease, no lag sampling (status reads measure it on demand).
 */
export const testProjectionSettings: NonNullable<SagaSettings['projections']> = {
  enabled: true,
  batchSize: 100,
  lingerMs: 0,
  leaseMs: 2_000,
  onUnappliable: 'continue',
  lagSampleMs: 0,
};

/**
 * Starts the stack; `settings` overrides the saga settings (a short step timeout, say), `admin`
 * the admin API's, `options` any other orchestrator option (a console to serve, say).
 */
export async function startTestStack(
  settings: Partial<SagaSettings> = {},
  admin: Partial<AdminSettings> = {},
  options: Pick<OrchestratorOptions, 'consoleRoot'> = {},
): Promise<TestStack> {
  const database = await createMigratedTestDatabase(5, 'sagaport-orchestrator-test');
  const adminSettings = { ...defaultAdminSettings, ...admin };
  const adminDatabase = createAdminDatabase(
    { url: database.url, poolMax: adminSettings.databasePoolSize },
    adminSettings,
    'sagaport-admin-test',
  );
  await database.db.insert(products).values(testCatalogue);
  const broker = await createTestBroker({ retryTiers: [{ name: '200ms', delayMs: 200 }] });
  const orchestrator = await startOrchestrator({
    database,
    adminDatabase,
    admin,
    broker: broker.connection,
    topology: broker.topology,
    settings: {
      stepTimeoutMs: 5_000,
      maxSends: 3,
      timeoutScanIntervalMs: 500,
      outboxBatchSize: 100,
      outboxLanes: 2,
      outboxPollMs: 200,
      dispatchGraceMs: 2_000,
      ...settings,
    },
    retry: { tiers: broker.topology.retryTiers, maxAttempts: 3 },
    prefetch: 20,
    publishTimeoutMs: 5_000,
    maxInFlight: 200,
    logger: silentLogger,
    consumerName: 'orchestrator-test',
    ...options,
  });
  return {
    orchestrator,
    database,
    adminDatabase,
    broker,
    async cleanup() {
      await orchestrator.stop();
      await adminDatabase.close();
      await broker.cleanup();
      await database.dispose();
    },
  };
}
