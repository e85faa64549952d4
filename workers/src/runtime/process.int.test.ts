// Integration tests of the worker process: endpoints, catalogue seeding, graceful stop, and a bad variable at start.
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { createDatabase, outbox } from '@sagaport/db';
import { createTestDatabase, type TestDatabase } from '@sagaport/db/testing';
import {
  buildMessage,
  buildTopology,
  ConfirmPublisher,
  connectBroker,
  deleteTopology,
  routeOf,
  waitForBroker,
} from '@sagaport/rabbitmq';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadWorkerConfig } from '../config.js';
import { demoCatalogue } from '../inventory/catalogue.js';
import { availableStock } from '../test-support/commands.js';
import { PaymentTestToken } from '../payment/provider.js';
import { amqpUrl, eventually, freePort } from '../test-support/harness.js';
import { runWorkerProcess } from './process.js';

const run = promisify(execFile);
const workersRoot = fileURLToPath(new URL('../..', import.meta.url));

describe('worker process', () => {
  let testDatabase: TestDatabase;
  const topology = buildTopology({
    prefix: `test-${randomUUID()}.`,
    retryTiers: [{ name: '1s', delayMs: 1_000 }],
  });

  beforeAll(async () => {
    testDatabase = await createTestDatabase();
  });
  afterAll(async () => {
    const connection = connectBroker({ url: amqpUrl, connectionName: 'sagaport-workers-test-cleanup' });
    await waitForBroker(connection);
    const wrapper = connection.createChannel({
      setup: (channel: Parameters<typeof deleteTopology>[0]) => deleteTopology(channel, topology),
    });
    await wrapper.waitForConnect();
    await connection.close();
    await testDatabase?.drop();
  });

  it('migrates, seeds the catalogue, serves /healthz, /readyz and /metrics, and stops cleanly', async () => {
    const config = loadWorkerConfig({
      DATABASE_URL: testDatabase.url,
      AMQP_URL: amqpUrl,
      RETRY_TIERS: '1s',
      LOG_LEVEL: 'silent',
    });
    const running = await runWorkerProcess({ config, workers: ['inventory', 'payment'], topology });
    try {
      const base = `http://127.0.0.1:${running.port}`;
      expect(running.port).toBeGreaterThan(0);
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const ready = await fetch(`${base}/readyz`);
      expect(ready.status).toBe(200);
      expect(await ready.json()).toEqual({ status: 'ready', checks: { postgres: 'up', rabbitmq: 'up' } });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain('# TYPE sagaport_messages_consumed_total counter');
      expect(metrics).toContain('# TYPE sagaport_handler_duration_seconds histogram');
    } finally {
      await running.stop();
    }
    const database = createDatabase({ url: testDatabase.url, poolMax: 1 });
    try {
      expect(Object.keys(await availableStock(database.db))).toHaveLength(demoCatalogue.length);
    } finally {
      await database.close();
    }
  });

  it('finishes the message in flight on SIGTERM, then exits 0 (node src/main.ts)', async () => {
    const prefix = `test-${randomUUID()}.`;
    const port = await freePort();
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', 'payment'], {
      cwd: workersRoot,
      env: {
        ...process.env,
        DATABASE_URL: testDatabase.url,
        AMQP_URL: amqpUrl,
        TOPOLOGY_PREFIX: prefix,
        // Leave the reply in the outbox (relay path) so the test can read it there.
        OUTBOX_DISPATCH_GRACE_MS: '0',
        RETRY_TIERS: '1s',
        METRICS_PORT: String(port),
        PAYMENT_SLOW_MS: '1500',
        LOG_LEVEL: 'warn',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
    const spawned = buildTopology({ prefix, retryTiers: [{ name: '1s', delayMs: 1_000 }] });
    const connection = connectBroker({ url: amqpUrl, connectionName: 'sagaport-workers-test-sigterm' });
    const database = createDatabase({ url: testDatabase.url, poolMax: 1 });
    try {
      await eventually(
        'the worker process ready',
        async () => (await fetch(`http://127.0.0.1:${port}/readyz`).catch(() => null))?.ok === true,
        60_000,
      );
      const publisher = new ConfirmPublisher(connection, { name: 'test-sigterm' });
      const sagaId = randomUUID();
      await publisher.publish(
        buildMessage({
          ...routeOf(spawned, 'payment.charge'),
          type: 'payment.charge',
          payload: {
            orderId: randomUUID(),
            amountCents: 500,
            currency: 'EUR',
            paymentToken: PaymentTestToken.slow,
          },
          correlationId: sagaId,
        }),
      );
      await publisher.close();
      await new Promise((resolve) => setTimeout(resolve, 500)); // the charge is now waiting on the slow provider
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      const [reply] = await database.db.select().from(outbox).where(eq(outbox.correlationId, sagaId));
      expect(reply).toMatchObject({ messageType: 'payment.charge.reply', payload: { outcome: 'succeeded' } });
      const inspector = connection.createChannel({ name: 'test-inspector' });
      await inspector.waitForConnect();
      expect((await inspector.checkQueue(spawned.queues.commands.payment)).messageCount).toBe(0);
    } finally {
      child.kill('SIGKILL');
      await database.close();
      const cleanup = connection.createChannel({
        setup: (channel: Parameters<typeof deleteTopology>[0]) => deleteTopology(channel, spawned),
      });
      await cleanup.waitForConnect();
      await connection.close();
    }
  });

  it('exits with status 1 naming the bad variable', async () => {
    const failure = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'payment'], {
      cwd: workersRoot,
      env: { ...process.env, METRICS_PORT: 'ninety', RESERVATION_TTL_SECONDS: '-1' },
      timeout: 30_000,
    }).catch((error: unknown) => error as { code: number; stderr: string });
    expect(failure).toMatchObject({ code: 1 });
    const { stderr } = failure as { stderr: string };
    expect(stderr).toContain('invalid configuration');
    expect(stderr).toContain('METRICS_PORT');
    expect(stderr).toContain('RESERVATION_TTL_SECONDS');
  });

  it('exits with status 1 naming an unknown worker', async () => {
    const failure = await run(process.execPath, ['--import', 'tsx', 'src/main.ts', 'billing'], {
      cwd: workersRoot,
      timeout: 30_000,
    }).catch((error: unknown) => error as { code: number; stderr: string });
    expect(failure).toMatchObject({ code: 1 });
    expect((failure as { stderr: string }).stderr).toContain('unknown worker "billing"');
  });
});
