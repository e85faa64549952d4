import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectBroker, waitForBroker, type AmqpConnectionManager } from './connection.js';
import { sagaContracts } from './contracts/index.js';
import { Consumer } from './consumer.js';
import { ConfirmPublisher } from './publisher.js';
import { MemoryCrashLedger, SuspectLane } from './suspects.js';
import {
  amqpUrl,
  createTestBroker,
  drainQueue,
  eventually,
  settledQueue,
  type TestBroker,
} from './testing.js';
import { orderConfirm } from './test-support/messages.js';

// Each "process" here is a connection of its own with its consumer and its lane. It dies the way a
// crashed process does for the broker: its connection goes away with the deliveries it held, and
// each of them comes back with one more failed delivery counted. The ledger outlives the process,
// as the database does in the applications.
describe('the suspect lane: a message that kills its process, and the ones that die with it', () => {
  let broker: TestBroker;
  let publisher: ConfirmPublisher;
  const connections: AmqpConnectionManager[] = [];
  beforeEach(async () => {
    // Three failed deliveries allowed: the poison dies at most twice (in its batch, then alone).
    broker = await createTestBroker({ deliveryLimit: 3 });
    publisher = new ConfirmPublisher(broker.connection);
  });
  afterEach(async () => {
    for (const connection of connections.splice(0)) await connection.close().catch(() => undefined);
    await publisher.close();
    await broker.cleanup();
  });

  /** Starts a process whose handler dies (never returns, and the connection is closed) on `poisonId`. */
  async function startProcess(
    ledger: MemoryCrashLedger | undefined,
    poisonId: string,
    handled: string[],
  ): Promise<{ dead: () => boolean }> {
    const connection = connectBroker({
      url: amqpUrl,
      connectionName: `suspect-lane-test-${connections.length}`,
    });
    connections.push(connection);
    await waitForBroker(connection);
    let died = false;
    const die = () => {
      died = true;
      void connection.close().catch(() => undefined);
    };
    const consumer = new Consumer({
      connection,
      topology: broker.topology,
      queue: broker.topology.queues.commands.order,
      contracts: sagaContracts,
      publisher: new ConfirmPublisher(connection),
      retry: { tiers: broker.topology.retryTiers, maxAttempts: 3, jitter: 0 },
      consumerName: 'order-worker-test',
      prefetch: 10,
      stallCheckMs: 0,
      ...(ledger ? { suspects: new SuspectLane({ ledger, crashLimit: 1 }) } : {}),
      batchHandler: async (messages) => {
        if (messages.some((m) => m.messageId === poisonId)) {
          die();
          await new Promise(() => undefined); // the process is gone: this batch never ends
        }
        handled.push(...messages.map((m) => m.messageId));
      },
    });
    await consumer.started;
    return { dead: () => died };
  }

  /**
   * Publishes a poison message and three good ones, all waiting before the first process starts.
   * The poison goes first: it is in the first batch of every process, so without the lane the
   * good ones never run before it kills the process.
   */
  async function publishBatch() {
    const good = [
      orderConfirm(broker.topology),
      orderConfirm(broker.topology),
      orderConfirm(broker.topology),
    ];
    const poison = orderConfirm(broker.topology);
    for (const m of [poison, ...good]) await publisher.publish(m);
    return { good: good.map((m) => m.properties.messageId), poison: poison.properties.messageId };
  }

  /** Restarts the process each time it dies (a supervisor's job) until `done`; returns the deaths. */
  async function supervise(
    ledger: MemoryCrashLedger | undefined,
    poison: string,
    handled: string[],
    done: () => Promise<boolean>,
  ) {
    let deaths = 0;
    let current = await startProcess(ledger, poison, handled);
    const finished = await eventually(async () => {
      if (current.dead()) {
        deaths += 1;
        current = await startProcess(ledger, poison, handled);
      }
      return done();
    }, 30_000);
    return { finished, deaths };
  }

  const deadLetterQueue = () => broker.topology.queues.deadLetters[broker.topology.queues.commands.order]!;

  it('dead-letters the poison with the reason, and every message that died with it completes', async () => {
    const ledger = new MemoryCrashLedger();
    const handled: string[] = [];
    const { good, poison } = await publishBatch();
    const letters: Awaited<ReturnType<typeof drainQueue>> = [];
    const admin = await broker.admin();
    const { finished, deaths } = await supervise(ledger, poison, handled, async () => {
      letters.push(...(await drainQueue(admin, deadLetterQueue())));
      return letters.length > 0 && good.every((id) => handled.includes(id));
    });
    expect(finished).toBe(true);
    // Once in its batch, once alone; the third delivery is judged and not run.
    expect(deaths).toBe(2);
    expect(letters.map((l) => String(l.properties.messageId))).toEqual([poison]);
    expect(letters[0]!.properties.headers).toMatchObject({
      'x-error-class': 'crash-loop',
      'x-error-name': 'CrashLoopError',
      'x-original-queue': broker.topology.queues.commands.order,
    });
    expect(String(letters[0]!.properties.headers!['x-error-message'])).toMatch(
      /died 1 time\(s\) while it ran this message alone/,
    );
    // Each good message completed once, and nothing is left behind: not in the queue, not in the ledger.
    expect([...handled].sort()).toEqual([...good].sort());
    for (const connection of connections.splice(0)) await connection.close();
    expect(await settledQueue(admin, broker.topology.queues.commands.order)).toBe(0);
    expect(await drainQueue(admin, deadLetterQueue())).toEqual([]);
    expect(ledger.runs.size).toBe(0);
  });

  it('without the lane, the messages that died with the poison reach the delivery limit with it', async () => {
    // The behaviour the lane replaces, so the test above is known to measure something: the
    // redelivered batch runs together, dies together, and the broker dead-letters all four.
    const handled: string[] = [];
    const { good, poison } = await publishBatch();
    const letters: Awaited<ReturnType<typeof drainQueue>> = [];
    const admin = await broker.admin();
    const { finished } = await supervise(undefined, poison, handled, async () => {
      letters.push(...(await drainQueue(admin, deadLetterQueue())));
      return letters.length >= 4;
    });
    expect(finished).toBe(true);
    expect(handled).toEqual([]);
    expect(letters.map((l) => String(l.properties.messageId)).sort()).toEqual([...good, poison].sort());
    expect(letters.every((l) => !('x-error-class' in (l.properties.headers ?? {})))).toBe(true);
  });
});
