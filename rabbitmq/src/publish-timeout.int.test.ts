import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfirmPublisher, PublishError } from './publisher.js';
import { createTestBroker, eventually, PrivateBroker, type TestBroker } from './testing.js';
import { orderConfirm } from './test-support/messages.js';

// The memory alarm is raised on a RabbitMQ node of this test's own (PrivateBroker): an alarm on
// the shared broker would block every publisher on it.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Settles with the outcome of `promise`, or with 'pending' if it has not settled within `ms`. */
function within<T>(promise: Promise<T>, ms: number): Promise<{ value?: T; error?: unknown } | 'pending'> {
  return Promise.race([
    promise.then(
      (value) => ({ value }),
      (error: unknown) => ({ error }),
    ),
    sleep(ms).then(() => 'pending' as const),
  ]);
}

describe('a publish the broker never confirms', () => {
  let node: PrivateBroker;
  let broker: TestBroker;
  beforeAll(async () => {
    node = await PrivateBroker.start();
    broker = await createTestBroker({ url: node.url });
  });
  afterAll(async () => {
    await broker?.cleanup();
    await node?.dispose();
  });

  it('rejects with a timeout error and gives back its in-flight slot', async () => {
    // One slot: if the timed-out publish kept it, the next publish would wait for ever.
    const publisher = new ConfirmPublisher(broker.connection, { maxInFlight: 1, timeoutMs: 1_000 });
    await publisher.publish(orderConfirm(broker.topology));
    let blocked = false;
    broker.connection.on('blocked', () => (blocked = true));
    let unblocked = false;
    broker.connection.on('unblocked', () => (unblocked = true));

    // A memory alarm: the broker stops reading from publishing connections, so no confirm comes.
    await node.raiseMemoryAlarm();
    let outcome: Awaited<ReturnType<typeof within>>;
    let started = 0;
    try {
      expect(await eventually(() => node.memoryAlarm())).toBe(true);
      started = Date.now();
      outcome = await within(publisher.publish(orderConfirm(broker.topology)), 10_000);
      expect(blocked).toBe(true);
    } finally {
      await node.clearMemoryAlarm();
    }
    const elapsed = Date.now() - started;
    expect(outcome).not.toBe('pending');
    const { error } = outcome as { error?: unknown };
    expect(error).toBeInstanceOf(PublishError);
    expect(error).toMatchObject({ reason: 'timeout', message: 'no confirm within 1000 ms' });
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(publisher.pending).toBe(0);

    // Once the broker reads again, the slot is free and the next publish is confirmed.
    expect(await eventually(async () => !(await node.memoryAlarm()))).toBe(true);
    expect(await eventually(() => unblocked)).toBe(true);
    expect(await within(publisher.publish(orderConfirm(broker.topology)), 10_000)).toEqual({
      value: undefined,
    });
    expect(publisher.pending).toBe(0);
    await publisher.close();
  });
});
