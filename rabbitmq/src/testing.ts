// Integration-test helpers (`@sagaport/rabbitmq/testing`): an isolated, prefixed copy of the topology on the real broker.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { promisify } from 'node:util';
import amqplib, { type Channel, type ChannelModel, type ConsumeMessage, type GetMessage } from 'amqplib';
import { type AmqpConnectionManager, connectBroker, waitForBroker } from './connection.js';
import { unpackMessages } from './message-batch.js';
import {
  buildTopology,
  declareTopology,
  deleteTopology,
  type Topology,
  type TopologyOptions,
} from './topology.js';

export const amqpUrl = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
export {
  createBrokerHome,
  freeLoopbackPort,
  PrivateBroker,
  PrivateCluster,
  sweepOrphanedBrokers,
} from './private-broker.js';
export type { PrivateBrokerOptions } from './private-broker.js';

/** Connects with plain amqplib, retrying until the broker is ready (up to `timeoutMs`). */
export async function connectAdmin(timeoutMs = 60_000, url: string = amqpUrl): Promise<ChannelModel> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await amqplib.connect(url);
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
  /** Its name in the broker's connection list, unique to this test broker (see `closeConnection`). */
  readonly connectionName: string;
  /** A plain channel for declaring, inspecting and deleting; reopened by `admin()` after a broker restart. */
  admin(): Promise<Channel>;
  cleanup(): Promise<void>;
}

export interface TestBrokerOptions extends Omit<TopologyOptions, 'prefix'> {
  /** The broker to use (a `PrivateBroker`'s url); AMQP_URL's by default. */
  readonly url?: string;
}

/** Declares a `test-<uuid>.`-prefixed topology and opens connections to it. */
export async function createTestBroker({
  url = amqpUrl,
  ...options
}: TestBrokerOptions = {}): Promise<TestBroker> {
  const id = randomUUID();
  const topology = buildTopology({ ...options, prefix: `test-${id}.` });
  let adminConnection = await connectAdmin(60_000, url);
  let channel = await adminConnection.createChannel();
  await declareTopology(channel, topology);
  // Unique, so a test can close exactly its own connection from the broker side.
  const connectionName = `sagaport-test-${id}`;
  const connection = connectBroker({ url, connectionName });
  await waitForBroker(connection);
  const admin = async () => {
    try {
      await channel.checkExchange(topology.exchanges.commands);
      return channel;
    } catch {
      adminConnection = await connectAdmin(60_000, url);
      channel = await adminConnection.createChannel();
      return channel;
    }
  };
  return {
    topology,
    connection,
    connectionName,
    admin,
    async cleanup() {
      await connection.close();
      const ch = await admin();
      await deleteTopology(ch, topology);
      await adminConnection.close();
    },
  };
}

/**
 * Takes every message now in `queue` (acking them), for assertions: the messages a batch message
 * carries each as a message of its own (see `unpackMessages`), in order; a batch that cannot be
 * read as it is.
 */
export async function drainQueue(channel: Channel, queue: string): Promise<GetMessage[]> {
  const messages: GetMessage[] = [];
  for (;;) {
    const message = await channel.get(queue, { noAck: true });
    if (!message) return messages;
    let unpacked: ConsumeMessage[] | undefined;
    try {
      unpacked = unpackMessages(message as unknown as ConsumeMessage, queue, new Map());
    } catch {
      unpacked = undefined; // a batch that cannot be read (a dead letter): as it is
    }
    if (unpacked) messages.push(...(unpacked as unknown as GetMessage[]));
    else messages.push(message);
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

/**
 * Waits until no consumer of `queue` holds a delivery any more, then returns how many messages
 * are left in it. A quorum queue keeps counting a cancelled consumer until every delivery it got
 * is acked or, when its channel closes, returned to the queue, in the same step. So once the
 * count is 0, every delivery is settled and nothing can be delivered again unless it is still
 * (or again) in the queue: call it after stopping the consumers, before asserting "only once".
 */
export async function settledQueue(channel: Channel, queue: string, timeoutMs = 20_000): Promise<number> {
  let state = await channel.checkQueue(queue);
  const deadline = Date.now() + timeoutMs;
  while (state.consumerCount > 0) {
    if (Date.now() > deadline) {
      throw new Error(`${queue} still has ${state.consumerCount} consumer(s) after ${timeoutMs} ms`);
    }
    await new Promise((r) => setTimeout(r, 50));
    state = await channel.checkQueue(queue);
  }
  return state.messageCount;
}

const run = promisify(execFile);
const rabbitmqctl = (process.env.RABBITMQCTL ?? 'rabbitmqctl').split(' ');

/** Runs `rabbitmqctl` with `args`; returns its standard output. */
export async function brokerCtl(...args: string[]): Promise<string> {
  const { stdout } = await run(rabbitmqctl[0]!, [...rabbitmqctl.slice(1), ...args], { timeout: 120_000 });
  return stdout;
}

/** Whether this machine can control the broker (tests that restart it need `rabbitmqctl`). */
export async function canControlBroker(): Promise<boolean> {
  try {
    await brokerCtl('status');
    return true;
  } catch {
    return false;
  }
}

/**
 * Closes, from the broker's side, every connection named `connectionName` (as a broker restart on
 * a cluster node or an operator would); returns how many it closed.
 */
export async function closeConnection(connectionName: string): Promise<number> {
  const listing = await brokerCtl('list_connections', '-q', '--no-table-headers', 'pid', 'client_properties');
  const pids = listing
    .split('\n')
    .filter((line) => line.includes(`{"connection_name","${connectionName}"}`))
    .map((line) => line.split('\t')[0]!);
  for (const pid of pids) await brokerCtl('close_connection', pid, 'closed by a test');
  return pids.length;
}
