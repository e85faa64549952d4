import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfirmPublisher, PublishError } from './publisher.js';
import { brokerCtl, canControlBroker, createTestBroker, eventually, type TestBroker } from './testing.js';
import { orderConfirm } from './test-support/messages.js';

// Blocking publishers takes a memory alarm raised with `rabbitmqctl`, which holds every publisher
// on the broker: run this file alone (the exclusive services lock). Only an explicit opt-out skips it.
const optedOut = process.env.SAGAPORT_SKIP_BROKER_RESTART === '1';
const controllable = optedOut ? false : await canControlBroker();
if (!optedOut && !controllable) {
  throw new Error(
    'rabbitmqctl cannot control the broker: set RABBITMQCTL, or SAGAPORT_SKIP_BROKER_RESTART=1 for a remote broker',
  );
}

/** Whether the broker's memory alarm is in effect. */
async function memoryAlarm(): Promise<boolean> {
  return (await brokerCtl('eval', 'rabbit_alarm:get_alarms().')).includes('memory');
}

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

describe.skipIf(!controllable)('a publish the broker never confirms', () => {
  let broker: TestBroker;
  let watermark: string;
  beforeAll(async () => {
    broker = await createTestBroker();
    watermark = (await brokerCtl('eval', 'vm_memory_monitor:get_vm_memory_high_watermark().')).trim();
  });
  afterAll(async () => {
    await brokerCtl('set_vm_memory_high_watermark', watermark);
    await broker.cleanup();
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
    await brokerCtl('set_vm_memory_high_watermark', '0');
    let outcome: Awaited<ReturnType<typeof within>>;
    let started = 0;
    try {
      expect(await eventually(memoryAlarm)).toBe(true);
      started = Date.now();
      outcome = await within(publisher.publish(orderConfirm(broker.topology)), 10_000);
      expect(blocked).toBe(true);
    } finally {
      await brokerCtl('set_vm_memory_high_watermark', watermark);
    }
    const elapsed = Date.now() - started;
    expect(outcome).not.toBe('pending');
    const { error } = outcome as { error?: unknown };
    expect(error).toBeInstanceOf(PublishError);
    expect(error).toMatchObject({ reason: 'timeout', message: 'no confirm within 1000 ms' });
    expect(elapsed).toBeGreaterThanOrEqual(950);
    expect(publisher.pending).toBe(0);

    // Once the broker reads again, the slot is free and the next publish is confirmed.
    expect(await eventually(async () => !(await memoryAlarm()))).toBe(true);
    expect(await eventually(() => unblocked)).toBe(true);
    expect(await within(publisher.publish(orderConfirm(broker.topology)), 10_000)).toEqual({
      value: undefined,
    });
    expect(publisher.pending).toBe(0);
    await publisher.close();
  });
});
