// Integration-test helpers (`@sagaport/rabbitmq/testing`): an isolated, prefixed copy of the topology on the real broker.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import amqplib, { type Channel, type ChannelModel, type GetMessage } from 'amqplib';
import { type AmqpConnectionManager, connectBroker, waitForBroker } from './connection.js';
import {
  buildTopology,
  declareTopology,
  deleteTopology,
  type Topology,
  type TopologyOptions,
} from './topology.js';

export const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Connects with plain amqplib, retrying until the broker is ready (up to `timeoutMs`). */
export async function connectAdmin(timeoutMs = 60_000): Promise<ChannelModel> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await amqplib.connect(amqpUrl);
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

export interface TestBroker {
  readonly topology: Topology;
  /** A managed (reconnecting) connection, as the application uses. */
  readonly connection: AmqpConnectionManager;
  /** A plain channel for declaring, inspecting and deleting; reopened by `admin()` after a broker restart. */
  admin(): Promise<Channel>;
  cleanup(): Promise<void>;
}

/** Declares a `test-<uuid>.`-prefixed topology and opens connections to it. */
export async function createTestBroker(options: Omit<TopologyOptions, 'prefix'> = {}): Promise<TestBroker> {
  const topology = buildTopology({ ...options, prefix: `test-${randomUUID()}.` });
  let adminConnection = await connectAdmin();
  let channel = await adminConnection.createChannel();
  await declareTopology(channel, topology);
  const connection = connectBroker({ url: amqpUrl, connectionName: 'sagaport-test' });
  await waitForBroker(connection);
  const admin = async () => {
    try {
      await channel.checkExchange(topology.exchanges.commands);
      return channel;
    } catch {
      adminConnection = await connectAdmin();
      channel = await adminConnection.createChannel();
      return channel;
    }
  };
  return {
    topology,
    connection,
    admin,
    async cleanup() {
      await connection.close();
      const ch = await admin();
      await deleteTopology(ch, topology);
      await adminConnection.close();
    },
  };
}

/** Takes every message now in `queue` (acking them), for assertions. */
export async function drainQueue(channel: Channel, queue: string): Promise<GetMessage[]> {
  const messages: GetMessage[] = [];
  for (;;) {
    const message = await channel.get(queue, { noAck: true });
    if (!message) return messages;
    messages.push(message);
  }
}

/** Polls `condition` until it holds or `timeoutMs` passes; returns whether it held. */
export async function eventually(
  condition: () => boolean | Promise<boolean>,
  timeoutMs = 20_000,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((r) => setTimeout(r, 50));
  }
  return condition();
}

const run = promisify(execFile);
const rabbitmqctl = (process.env.RABBITMQCTL ?? 'rabbitmqctl').split(' ');

/** Whether this machine can control the broker (tests that restart it need `rabbitmqctl`). */
export async function canControlBroker(): Promise<boolean> {
  try {
    await run(rabbitmqctl[0]!, [...rabbitmqctl.slice(1), 'status'], { timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** Stops the RabbitMQ application (connections drop), waits `downMs`, starts it again. */
export async function restartBrokerApp(downMs: number): Promise<void> {
  const ctl = (...args: string[]) =>
    run(rabbitmqctl[0]!, [...rabbitmqctl.slice(1), ...args], { timeout: 120_000 });
  await ctl('stop_app');
  await new Promise((r) => setTimeout(r, downMs));
  await ctl('start_app');
  await ctl('await_startup');
}
