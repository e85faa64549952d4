// Batch consumption against the real broker: batches form from what is ready, and one bad message never costs its neighbours.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sagaContracts } from './contracts/index.js';
import { AckFlusher } from './ack-flusher.js';
import { Consumer, type BatchHandler, type DeliveryOutcome } from './consumer.js';
import type { InboundMessage } from './envelope.js';
import { PermanentError } from './errors.js';
import { ConfirmPublisher } from './publisher.js';
import {
  closeConnection,
  createTestBroker,
  drainQueue,
  eventually,
  settledQueue,
  type TestBroker,
} from './testing.js';
import { orderConfirm } from './test-support/messages.js';

describe('batch consumption', () => {
  let broker: TestBroker;
  let publisher: ConfirmPublisher;
  let consumer: Consumer | undefined;
  const batches: string[][] = [];
  const outcomes = new Map<string, DeliveryOutcome[]>();

  beforeEach(async () => {
    batches.length = 0;
    outcomes.clear();
    broker = await createTestBroker({ retryTiers: [{ name: '200ms', delayMs: 200 }] });
    publisher = new ConfirmPublisher(broker.connection);
  });
  afterEach(async () => {
    await consumer?.stop();
    await publisher.close();
    await broker.cleanup();
  });

  const idOf = (message: InboundMessage) => message.messageId;

  function start(handle: BatchHandler, ackFlusher?: AckFlusher) {
    consumer = new Consumer({
      ...(ackFlusher ? { ackFlusher } : {}),
      connection: broker.connection,
      topology: broker.topology,
      queue: broker.topology.queues.commands.order,
      contracts: sagaContracts,
      publisher,
      prefetch: 50,
      retry: { tiers: broker.topology.retryTiers, maxAttempts: 3, jitter: 0 },
      consumerName: 'batch-test',
      batchHandler: async (messages) => {
        batches.push(messages.map(idOf));
        return handle(messages);
      },
      onOutcome: () => {},
    });
    return consumer.started;
  }

  /** Publishes `count` valid commands while the consumer is not yet subscribed, so they form batches. */
  async function publishWaiting(count: number) {
    const messages = Array.from({ length: count }, () => orderConfirm(broker.topology));
    await Promise.all(messages.map((m) => publisher.publish(m)));
    return messages.map((m) => m.properties.messageId);
  }

  async function deadLetters(count: number) {
    const admin = await broker.admin();
    const dlq = broker.topology.queues.deadLetters[broker.topology.queues.commands.order]!;
    const found: Awaited<ReturnType<typeof drainQueue>> = [];
    expect(
      await eventually(async () => {
        found.push(...(await drainQueue(admin, dlq)));
        return found.length >= count;
      }),
      `${count} dead letters`,
    ).toBe(true);
    return found;
  }

  it('hands the handler every delivery that is ready, and acks them all once it resolves', async () => {
    const ids = await publishWaiting(40);
    const seen = new Set<string>();
    await start(async (messages) => {
      for (const message of messages) seen.add(message.messageId);
    });
    expect(await eventually(async () => seen.size === 40)).toBe(true);
    expect([...seen].sort()).toEqual([...ids].sort());
    // They were waiting, so they came in batches, not one by one.
    expect(batches.length).toBeLessThan(40);
    expect(Math.max(...batches.map((b) => b.length))).toBeGreaterThan(1);
    await consumer!.stop();
    consumer = undefined;
    expect(await settledQueue(await broker.admin(), broker.topology.queues.commands.order)).toBe(0);
  });

  it('runs the good messages of a batch that fails again one by one, and dead-letters only the poison one, with its reason', async () => {
    const ids = await publishWaiting(9);
    const poison = ids[4]!;
    const completed = new Map<string, number>();
    await start(async (messages) => {
      // A handler that fails the whole batch when the poison message is in it (as a transaction would).
      if (messages.some((m) => m.messageId === poison)) {
        throw new PermanentError(`cannot apply ${poison}: the order is corrupt`);
      }
      for (const message of messages)
        completed.set(message.messageId, (completed.get(message.messageId) ?? 0) + 1);
    });

    const [letter] = await deadLetters(1);
    expect(letter!.properties.messageId).toBe(poison);
    expect(letter!.properties.headers).toMatchObject({
      'x-error-class': 'permanent',
      'x-error-message': `cannot apply ${poison}: the order is corrupt`,
    });
    expect(await eventually(async () => completed.size === 8)).toBe(true);
    await consumer!.stop();
    consumer = undefined;
    // Every good message completed exactly once, none was retried or dead-lettered, nothing is left.
    expect([...completed.keys()].sort()).toEqual(ids.filter((id) => id !== poison).sort());
    expect([...completed.values()].every((n) => n === 1)).toBe(true);
    expect(await settledQueue(await broker.admin(), broker.topology.queues.commands.order)).toBe(0);
    // A good message ran at most twice: in the failed batch, then alone.
    const runs = (id: string) => batches.filter((b) => b.includes(id)).length;
    expect(Math.max(...ids.filter((id) => id !== poison).map(runs))).toBeLessThanOrEqual(2);
  });

  it('dead-letters a message the handler rejects on its own, and acks the rest of the batch without running them again', async () => {
    const ids = await publishWaiting(6);
    const refused = ids[2]!;
    await start(async (messages) =>
      messages
        .filter((m) => m.messageId === refused)
        .map((message) => ({ message, error: new PermanentError('refused alone') })),
    );
    const [letter] = await deadLetters(1);
    expect(letter!.properties.messageId).toBe(refused);
    await consumer!.stop();
    consumer = undefined;
    expect(await settledQueue(await broker.admin(), broker.topology.queues.commands.order)).toBe(0);
    // Each message was handed over exactly once.
    expect(batches.flat().sort()).toEqual([...ids].sort());
  });

  it.each([
    ['holds the acks of settled batches until the flusher sends them', 60_000, 20],
    ['sends the held acks a few milliseconds later, so a lost connection redelivers nothing', 50, 0],
  ])('%s', async (_name, delayMs, redelivered) => {
    await publishWaiting(20);
    const deliveries: { id: string; redelivered: boolean }[] = [];
    await start(async (messages) => {
      for (const message of messages)
        deliveries.push({ id: message.messageId, redelivered: message.raw.fields.redelivered });
    }, new AckFlusher(delayMs));
    expect(await eventually(async () => deliveries.length === 20)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    // The broker drops the connection: whatever was not acked comes again on the next one.
    expect(await closeConnection(broker.connectionName)).toBe(1);
    // A message published now is delivered after every requeued one: once it is seen, they all were.
    const [marker] = await publishWaiting(1);
    expect(await eventually(async () => deliveries.at(-1)?.id === marker, 15_000)).toBe(true);
    expect(deliveries.filter((d) => d.redelivered)).toHaveLength(redelivered);
  });

  it('sends a held ack at once when the deliveries it covers reach half the prefetch window', async () => {
    await publishWaiting(45); // prefetch 50: past 25 held deliveries the ack leaves
    const deliveries: boolean[] = [];
    await start(async (messages) => {
      for (const message of messages) deliveries.push(message.raw.fields.redelivered);
    }, new AckFlusher(60_000));
    expect(await eventually(async () => deliveries.length === 45)).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await closeConnection(broker.connectionName)).toBe(1);
    // A message published now is delivered after every requeued one: once it is seen, they all were.
    await publishWaiting(1);
    expect(await eventually(async () => deliveries.length > 45 && deliveries.at(-1) === false, 15_000)).toBe(
      true,
    );
    // Only what came after the last early ack may come again: fewer than half the window.
    expect(deliveries.filter(Boolean).length).toBeLessThan(25);
  });
});
