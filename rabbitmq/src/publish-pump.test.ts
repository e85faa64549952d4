// Unit tests of the publish pump: rounds that publish at the same time share messages, and each waits for its confirms.
import { describe, expect, it } from 'vitest';
import { buildMessage, type OutgoingMessage } from './envelope.js';
import { batchEvents, EVENT_BATCH_TYPE, EVENT_COUNT_HEADER } from './event-batch.js';
import { PublishPump } from './publish-pump.js';
import { buildTopology } from './topology.js';

const topology = buildTopology({ prefix: 'unit.' });
const pack = (messages: readonly OutgoingMessage[]) => batchEvents(topology, messages);
const orderId = '0b7a0e59-2c1a-4d7f-9e8e-1f3d2c4b5a69';

const event = (type: string) =>
  buildMessage({ exchange: topology.exchanges.events, routingKey: type, type, payload: { orderId } });

/** A broker whose confirms come back when the test says so. */
function heldBroker() {
  const publishes: { messages: readonly OutgoingMessage[]; confirm: () => void; fail: (e: Error) => void }[] =
    [];
  const publishAll = (messages: readonly OutgoingMessage[]) =>
    new Promise<void>((resolve, reject) => publishes.push({ messages, confirm: resolve, fail: reject }));
  return { publishes, publishAll };
}

const settledState = async (promise: Promise<void>) => {
  let state = 'pending';
  promise.then(
    () => (state = 'confirmed'),
    () => (state = 'failed'),
  );
  await new Promise((resolve) => setImmediate(resolve));
  return state;
};

describe('the publish pump', () => {
  it('publishes a round at once when nothing is in flight, and the rounds that come meanwhile together', async () => {
    const broker = heldBroker();
    const pump = new PublishPump(broker.publishAll, pack);
    const first = pump.submit([event('order.placed')]);
    expect(broker.publishes).toHaveLength(1);
    // A round's only event travels alone, routed by its type.
    expect(broker.publishes[0]!.messages.map((m) => m.routingKey)).toEqual(['order.placed']);

    // Two rounds while the first awaits its confirm: nothing goes out yet.
    const second = pump.submit([event('stock.reserved')]);
    const third = pump.submit([event('payment.charged'), event('order.confirmed')]);
    expect(broker.publishes).toHaveLength(1);
    expect(await settledState(second)).toBe('pending');

    broker.publishes[0]!.confirm();
    expect(await settledState(first)).toBe('confirmed');
    // Then both rounds leave in one stream message (plus the order event's copy for the inventory).
    expect(broker.publishes).toHaveLength(2);
    const [copy, batch] = broker.publishes[1]!.messages;
    expect(copy).toMatchObject({ exchange: '', routingKey: topology.queues.inventoryOrderEvents });
    expect(batch).toMatchObject({ exchange: topology.exchanges.events, routingKey: EVENT_BATCH_TYPE });
    expect(batch!.properties.headers).toMatchObject({ [EVENT_COUNT_HEADER]: 3 });
    // Each round waits for the confirms of the publish that carried it.
    expect(await settledState(second)).toBe('pending');
    broker.publishes[1]!.confirm();
    expect(await settledState(second)).toBe('confirmed');
    expect(await settledState(third)).toBe('confirmed');
  });

  it('fails every round a failed publish carried, and publishes the next rounds anew', async () => {
    const broker = heldBroker();
    const pump = new PublishPump(broker.publishAll, pack);
    const first = pump.submit([event('order.placed')]);
    const second = pump.submit([event('stock.reserved')]);
    const third = pump.submit([event('payment.charged')]);
    broker.publishes[0]!.confirm();
    await settledState(first);
    broker.publishes[1]!.fail(new Error('broker gone'));
    await expect(second).rejects.toThrow('broker gone');
    await expect(third).rejects.toThrow('broker gone');

    const fourth = pump.submit([event('shipment.scheduled')]);
    expect(broker.publishes).toHaveLength(3);
    broker.publishes[2]!.confirm();
    expect(await settledState(fourth)).toBe('confirmed');
  });

  it('fails the rounds whose messages cannot be packed, and goes on with the next', async () => {
    const broker = heldBroker();
    const pump = new PublishPump(broker.publishAll, pack);
    const unwritable = { ...event('order.placed') };
    unwritable.properties = { ...unwritable.properties, headers: { big: 1n } };
    await expect(pump.submit([unwritable, event('stock.reserved')])).rejects.toThrow(TypeError);
    expect(broker.publishes).toHaveLength(0);
    const next = pump.submit([event('payment.charged')]);
    expect(broker.publishes).toHaveLength(1);
    broker.publishes[0]!.confirm();
    expect(await settledState(next)).toBe('confirmed');
  });

  it('resolves a round without messages at once, publishing nothing', async () => {
    const broker = heldBroker();
    const pump = new PublishPump(broker.publishAll, pack);
    await pump.submit([]);
    expect(broker.publishes).toHaveLength(0);
  });
});
