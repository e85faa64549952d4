// Test harness: the workers running in-process on their own database and a `test-<uuid>.`-prefixed topology.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import {
  buildMessage,
  buildTopology,
  ConfirmPublisher,
  connectBroker,
  declareTopology,
  deleteTopology,
  routeOf,
  waitForBroker,
  type AmqpConnectionManager,
  type CommandPayload,
  type CommandType,
  type OutgoingMessage,
  type RetryPolicy,
  type Topology,
  type Worker,
} from '@sagaport/rabbitmq';
import { Registry } from 'prom-client';
import type { WorkerSettings } from '../config.js';
import { startWorkers, type WorkersHandle } from '../runtime/start.js';
import { createWorkerTestDatabase, type WorkerTestDatabase } from './database.js';

export const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

type Channel = Parameters<typeof declareTopology>[0];

export interface TestWorkers {
  readonly database: WorkerTestDatabase;
  readonly topology: Topology;
  readonly connection: AmqpConnectionManager;
  readonly registry: Registry;
  readonly workers: WorkersHandle;
  /** Publishes a command to its worker queue with a confirm; returns the message (reuse it to send a duplicate). */
  send<T extends CommandType>(
    type: T,
    payload: CommandPayload<T>,
    options?: { sagaId?: string; messageId?: string },
  ): Promise<OutgoingMessage>;
  /** Publishes an already built message again (same message id: a redelivery). */
  resend(message: OutgoingMessage): Promise<void>;
  /** Messages waiting in `queue` right now. */
  depth(queue: string): Promise<number>;
  cleanup(): Promise<void>;
}

/** Fast retry tiers so transient failures reach the DLQ within a test. */
export const fastRetry: RetryPolicy = { tiers: [{ name: '200ms', delayMs: 200 }], maxAttempts: 3 };

/** Runs `work` on a fresh channel of `connection`, then closes it. */
async function onChannel(connection: AmqpConnectionManager, work: (channel: Channel) => Promise<void>) {
  const wrapper = connection.createChannel({ name: 'test-admin', setup: work });
  await wrapper.waitForConnect();
  await wrapper.close();
}

/** Starts `workers` (all by default) on a new test database and a declared, prefixed topology. */
export async function startTestWorkers(
  options: {
    workers?: readonly Worker[];
    settings?: Partial<WorkerSettings>;
    retry?: RetryPolicy;
    prefetch?: number;
    poolMax?: number;
  } = {},
): Promise<TestWorkers> {
  const database = await createWorkerTestDatabase(options.poolMax ?? 10);
  const topology = buildTopology({ prefix: `test-${randomUUID()}.`, retryTiers: fastRetry.tiers });
  const connection = connectBroker({ url: amqpUrl, connectionName: 'sagaport-workers-test' });
  await waitForBroker(connection, 60_000);
  await onChannel(connection, (channel) => declareTopology(channel, topology));
  const publisher = new ConfirmPublisher(connection, { name: 'test-commands' });
  const registry = new Registry();
  const workers = await startWorkers({
    workers: options.workers,
    db: database.db,
    sql: database.sql,
    connection,
    topology,
    retry: options.retry ?? fastRetry,
    prefetch: options.prefetch ?? 50,
    settings: { sweepIntervalMs: 60_000, paymentSlowMs: 50, ...options.settings },
    registry,
    instance: 'test',
  });
  const inspector = connection.createChannel({ name: 'test-inspector' });

  return {
    database,
    topology,
    connection,
    registry,
    workers,
    async send(type, payload, sendOptions = {}) {
      const message = buildMessage({
        ...routeOf(topology, type),
        type,
        payload,
        messageId: sendOptions.messageId ?? randomUUID(),
        correlationId: sendOptions.sagaId ?? randomUUID(),
      });
      await publisher.publish(message);
      return message;
    },
    resend: (message) => publisher.publish(message),
    depth: async (queue) => (await inspector.checkQueue(queue)).messageCount,
    async cleanup() {
      await workers.stop(5_000);
      await publisher.close();
      await inspector.close();
      await onChannel(connection, (channel) => deleteTopology(channel, topology));
      await connection.close();
      await database.dispose();
    },
  };
}

/** Polls `condition` every 50 ms until it holds, failing after `timeoutMs` with `what`. */
export async function eventually(
  what: string,
  condition: () => Promise<boolean> | boolean,
  timeoutMs = 20_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** A TCP port free on loopback right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}
