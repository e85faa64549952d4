// Unit tests of how the workers pack a publish: events in stream batches, replies and order-event copies in queue batches.
import {
  buildMessage,
  buildTopology,
  EVENT_BATCH_TYPE,
  MESSAGE_BATCH_TYPE,
  MESSAGE_COUNT_HEADER,
  type OutgoingMessage,
} from '@sagaport/rabbitmq';
import { describe, expect, it } from 'vitest';
import { packWorkerMessages } from './publish.js';

const topology = buildTopology({ prefix: 'unit.' });
const orderId = '0b7a0e59-2c1a-4d7f-9e8e-1f3d2c4b5a69';
const sagaId = '6f1d2c3b-4a59-4e8f-9a7b-0c1d2e3f4a5b';

const event = (type: string) =>
  buildMessage({ exchange: topology.exchanges.events, routingKey: type, type, payload: { orderId } });
const reply = (type: string) =>
  buildMessage({
    exchange: topology.exchanges.replies,
    routingKey: type,
    type,
    payload: { orderId },
    correlationId: sagaId,
  });
const body = (m: OutgoingMessage) => JSON.parse(m.content.toString()) as { messages?: { type: string }[] };

describe("the workers' publish packing", () => {
  const pack = packWorkerMessages(topology);

  it('sends a round of replies to the orchestrator as one batch message addressed to its queue, in order', () => {
    const replies = [
      reply('order.create.reply'),
      reply('inventory.reserve.reply'),
      reply('payment.charge.reply'),
    ];
    const [batch, ...rest] = pack(replies);
    expect(rest).toEqual([]);
    expect(batch).toMatchObject({ exchange: '', routingKey: topology.queues.replies });
    expect(batch!.properties.type).toBe(MESSAGE_BATCH_TYPE);
    expect(batch!.properties.headers).toMatchObject({ [MESSAGE_COUNT_HEADER]: 3 });
    expect(body(batch!).messages!.map((m) => m.type)).toEqual(replies.map((r) => r.properties.type));
  });

  it("leaves a round's only reply a message of its own, routed by its type", () => {
    const only = reply('order.create.reply');
    expect(pack([only])).toEqual([only]);
  });

  it("puts the order events' copies for the inventory in one batch, the events in one stream batch, the replies in another", () => {
    const out = pack([
      event('order.confirmed'),
      reply('order.confirm.reply'),
      event('order.confirmed'),
      reply('order.confirm.reply'),
    ]);
    const byRoute = Object.fromEntries(out.map((m) => [`${m.exchange}|${m.routingKey}`, m]));
    expect(Object.keys(byRoute).sort()).toEqual(
      [
        `|${topology.queues.inventoryOrderEvents}`,
        `|${topology.queues.replies}`,
        `${topology.exchanges.events}|${EVENT_BATCH_TYPE}`,
      ].sort(),
    );
    const copies = byRoute[`|${topology.queues.inventoryOrderEvents}`]!;
    expect(copies.properties.type).toBe(MESSAGE_BATCH_TYPE);
    expect(body(copies).messages!.map((m) => m.type)).toEqual(['order.confirmed', 'order.confirmed']);
  });
});
