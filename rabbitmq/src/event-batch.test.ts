// Unit tests of event batches: which messages travel together, and reading them back.
import { describe, expect, it } from 'vitest';
import { eventHeaders } from './contracts/events.js';
import { buildMessage, type OutgoingMessage } from './envelope.js';
import {
  batchEvents,
  EVENT_BATCH_MAX_BYTES,
  EVENT_BATCH_MAX_EVENTS,
  EVENT_BATCH_TYPE,
  EVENT_COUNT_HEADER,
  headersOf,
  separatelyRoutedEvents,
  unpackEvents,
} from './event-batch.js';
import { buildTopology } from './topology.js';

const topology = buildTopology({ prefix: 'unit.' });
const orderId = '6a0c3a55-64b8-4a4e-8d77-0c3f7f9a5b10';
const sagaId = '0e4b4a4c-7a1e-4c61-9a53-1d0c3c2f6f0b';

const event = (type: 'order.placed' | 'order.confirmed' | 'stock.reserved' | 'payment.charged', n = 1) =>
  buildMessage({
    exchange: topology.exchanges.events,
    routingKey: type,
    type,
    payload: { orderId, n },
    correlationId: sagaId,
    headers: eventHeaders(type, { aggregateId: orderId, sequence: n }),
  });
const reply = () =>
  buildMessage({
    exchange: topology.exchanges.replies,
    routingKey: 'payment.charge.succeeded',
    type: 'payment.charge.succeeded',
    payload: { ok: true },
    correlationId: sagaId,
  });
const delivered = (m: OutgoingMessage) => ({ properties: m.properties, content: m.content });

describe('event batches', () => {
  it('names the queues besides the stream bound to an event type (the inventory reads order.confirmed by type)', () => {
    expect(Object.fromEntries(separatelyRoutedEvents(topology))).toEqual({
      'order.cancelled': [topology.queues.inventoryOrderEvents],
      'order.confirmed': [topology.queues.inventoryOrderEvents],
    });
  });

  it("gathers a round's events into one stream message, with a copy of a separately routed one straight to its queue; replies pass unchanged", () => {
    const r = reply();
    const confirmed = event('order.confirmed');
    const events = [event('order.placed'), confirmed, event('stock.reserved'), event('payment.charged', 2)];
    const out = batchEvents(topology, [events[0]!, r, events[1]!, events[2]!, events[3]!]);
    expect(out).toHaveLength(3);
    expect(out[0]).toBe(r);
    // The copy: the event's own message, addressed to the inventory's queue by the default exchange.
    expect(out[1]).toEqual({ ...confirmed, exchange: '', routingKey: topology.queues.inventoryOrderEvents });
    const batch = out[2]!;
    expect(batch).toMatchObject({ exchange: topology.exchanges.events, routingKey: EVENT_BATCH_TYPE });
    expect(batch.properties).toMatchObject({ type: EVENT_BATCH_TYPE, deliveryMode: 2 });
    expect(headersOf(batch)[EVENT_COUNT_HEADER]).toBe(4);

    // Read back, each event is what its own message would have carried.
    const unpacked = unpackEvents(delivered(batch));
    expect(unpacked).toEqual(
      events.map((m) => ({
        messageId: m.properties.messageId,
        type: m.properties.type,
        correlationId: sagaId,
        headers: headersOf(m),
        body: JSON.parse(m.content.toString()) as unknown,
        bodyText: m.content.toString(),
      })),
    );
  });

  it('leaves a single event a message of its own, and reads such a message as one event', () => {
    const one = event('order.placed');
    expect(batchEvents(topology, [reply(), one])[1]).toBe(one);
    expect(unpackEvents(delivered(one))).toEqual([
      expect.objectContaining({
        messageId: one.properties.messageId,
        type: 'order.placed',
        body: { orderId, n: 1 },
      }),
    ]);
  });

  it('splits a round over the size limits, keeping the order', () => {
    const many = Array.from({ length: EVENT_BATCH_MAX_EVENTS + 3 }, (_, i) => event('order.placed', i + 1));
    const out = batchEvents(topology, many);
    expect(out.length).toBeGreaterThan(1);
    for (const batch of out) {
      expect(headersOf(batch)[EVENT_COUNT_HEADER]).toBeLessThanOrEqual(EVENT_BATCH_MAX_EVENTS);
      expect(batch.content.length).toBeLessThanOrEqual(EVENT_BATCH_MAX_BYTES);
    }
    const ids = out.flatMap((m) => unpackEvents(delivered(m)).map((e) => e.messageId));
    expect(ids).toEqual(many.map((m) => m.properties.messageId));

    // Small events: the count limit splits first.
    const tiny = Array.from({ length: EVENT_BATCH_MAX_EVENTS + 3 }, (_, i) => ({
      ...event('order.placed', i + 1),
      content: Buffer.from('{}'),
      properties: { messageId: `m${i}`, type: 'order.placed', headers: {} },
    }));
    expect(batchEvents(topology, tiny).map((m) => headersOf(m)[EVENT_COUNT_HEADER])).toEqual([
      EVENT_BATCH_MAX_EVENTS,
      3,
    ]);
  });

  it('reads a broken batch as one entry whose fault names the field, so a reader parks it whole', () => {
    const broken = (content: string) =>
      unpackEvents({
        properties: { messageId: 'x', type: EVENT_BATCH_TYPE, headers: {} },
        content: Buffer.from(content),
      });
    expect(broken('{"events":[{"messageId":"a","type":"order.placed","payload":{}}]}')).toEqual([
      expect.objectContaining({ fault: expect.stringContaining('body.events.0.headers') as unknown }),
    ]);
    expect(broken('{"events":[]}')[0]!.fault).toContain('body.events');
    expect(broken('not json')[0]!.fault).toBe('event batch: body is not valid JSON');
  });
});
