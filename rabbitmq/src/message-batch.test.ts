// Unit tests of message batches: which messages travel together, and reading them back as deliveries.
import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { buildMessage, type OutgoingMessage } from './envelope.js';
import {
  batchByQueue,
  bindingsOf,
  MESSAGE_BATCH_MAX_BYTES,
  MESSAGE_BATCH_MAX_MESSAGES,
  MESSAGE_BATCH_TYPE,
  MESSAGE_COUNT_HEADER,
  singleQueueRoutes,
  unpackMessages,
} from './message-batch.js';
import { buildTopology, routeOf } from './topology.js';

const topology = buildTopology({ prefix: 'unit.' });
const routes = singleQueueRoutes(topology);
const sagaId = '0e4b4a4c-7a1e-4c61-9a53-1d0c3c2f6f0b';

const command = (type: string, payload: unknown = { orderId: sagaId }) =>
  buildMessage({
    ...routeOf(topology, type),
    type,
    payload,
    correlationId: sagaId,
    headers: { traceparent: 'x' },
  });
const delivered = (m: OutgoingMessage): ConsumeMessage =>
  ({
    fields: {
      deliveryTag: 7,
      redelivered: false,
      exchange: m.exchange,
      routingKey: m.routingKey,
      consumerTag: 'c',
    },
    properties: m.properties,
    content: m.content,
  }) as unknown as ConsumeMessage;

describe('message batches', () => {
  it('knows the one queue of each command and reply type, and no route of a topic exchange', () => {
    expect(routes.get(`${topology.exchanges.commands}\norder.create`)).toBe(topology.queues.commands.order);
    expect(routes.get(`${topology.exchanges.commands}\npayment.charge`)).toBe(
      topology.queues.commands.payment,
    );
    expect(routes.get(`${topology.exchanges.replies}\npayment.charge.reply`)).toBe(topology.queues.replies);
    expect([...routes.keys()].some((key) => key.startsWith(`${topology.exchanges.events}\n`))).toBe(false);
  });

  it('packs the messages for each queue into one batch, in order, and leaves a lone message and unrouted ones as they are', () => {
    const [a, b, c, d] = [
      command('order.create'),
      command('payment.charge'),
      command('order.confirm'),
      command('order.cancel'),
    ];
    const event = buildMessage({
      exchange: topology.exchanges.events,
      routingKey: 'order.placed',
      type: 'order.placed',
      payload: {},
    });
    const out = batchByQueue([a, b, event, c, d], routes);
    expect(out).toHaveLength(3);
    expect(out).toContain(b);
    expect(out).toContain(event);
    const batch = out.find((m) => m.properties.type === MESSAGE_BATCH_TYPE)!;
    expect(batch).toMatchObject({ exchange: '', routingKey: topology.queues.commands.order });
    expect(batch.properties.headers).toMatchObject({ [MESSAGE_COUNT_HEADER]: 3 });
    const unpacked = unpackMessages(
      delivered(batch),
      topology.queues.commands.order,
      bindingsOf(topology, topology.queues.commands.order),
    )!;
    expect(unpacked.map((m) => m.properties.messageId as string)).toEqual(
      [a, c, d].map((m) => m.properties.messageId),
    );
    // Each reads back as the delivery its own message would have been.
    expect(unpacked[0]!.fields).toMatchObject({
      exchange: topology.exchanges.commands,
      routingKey: 'order.create',
      deliveryTag: 7,
    });
    expect(unpacked[0]!.properties).toMatchObject({
      type: 'order.create',
      correlationId: sagaId,
      timestamp: a.properties.timestamp,
      contentType: 'application/json',
      headers: a.properties.headers as Record<string, unknown>,
    });
    expect(unpacked[0]!.content.toString()).toBe(a.content.toString());
  });

  it(`splits a queue's messages into batches of at most ${MESSAGE_BATCH_MAX_MESSAGES} messages and ${MESSAGE_BATCH_MAX_BYTES / 1024} KiB`, () => {
    const many = Array.from({ length: MESSAGE_BATCH_MAX_MESSAGES + 1 }, () => command('order.confirm'));
    const byCount = batchByQueue(many, routes);
    expect(
      byCount.map(
        (m) => (m.properties.headers as Record<string, unknown> | undefined)?.[MESSAGE_COUNT_HEADER] ?? 1,
      ),
    ).toEqual([MESSAGE_BATCH_MAX_MESSAGES, 1]);
    const big = Array.from({ length: 5 }, () =>
      command('order.confirm', { orderId: sagaId, pad: 'x'.repeat(20_000) }),
    );
    const bySize = batchByQueue(big, routes);
    expect(bySize.length).toBeGreaterThan(1);
    for (const m of bySize) expect(m.content.length).toBeLessThanOrEqual(MESSAGE_BATCH_MAX_BYTES);
    const ids = bySize.flatMap((m) =>
      m.properties.type === MESSAGE_BATCH_TYPE
        ? unpackMessages(delivered(m), 'q', new Map())!.map((u) => u.properties.messageId as string)
        : [m.properties.messageId],
    );
    expect(ids).toEqual(big.map((m) => m.properties.messageId));
  });

  it('reads a message that is not a batch as nothing to unpack, and names the field of a batch it cannot read', () => {
    const queue = topology.queues.commands.order;
    expect(unpackMessages(delivered(command('order.create')), queue, new Map())).toBeUndefined();
    const batch = batchByQueue([command('order.create'), command('order.confirm')], routes)[0]!;
    const broken = (content: string) => delivered({ ...batch, content: Buffer.from(content) });
    expect(() => unpackMessages(broken('{"messages":[{"type":1}]}'), queue, new Map())).toThrow(
      /body\.messages\.0\.headers/,
    );
    expect(() => unpackMessages(broken('nope'), queue, new Map())).toThrow(/not valid JSON/);
  });

  it('refuses a batch whose entries could not be published again as messages of their own, or that is over its limits', () => {
    const queue = topology.queues.commands.order;
    const batch = batchByQueue([command('order.create'), command('order.confirm')], routes)[0]!;
    const body = JSON.parse(batch.content.toString()) as { messages: Record<string, unknown>[] };
    const withEntry = (change: (entry: Record<string, unknown>) => void) => {
      const copy = structuredClone(body);
      change(copy.messages[0]!);
      return delivered({ ...batch, content: Buffer.from(JSON.stringify(copy)) });
    };
    const read = (raw: ConsumeMessage) => () => unpackMessages(raw, queue, new Map());
    expect(read(withEntry((e) => (e['headers'] = { x: { '!': 'x' } })))).toThrow(
      /body\.messages\.0\.headers\.x/,
    );
    expect(read(withEntry((e) => (e['headers'] = { ['k'.repeat(256)]: 1 })))).toThrow(
      /body\.messages\.0\.headers/,
    );
    expect(read(withEntry((e) => (e['correlationId'] = 7)))).toThrow(/body\.messages\.0\.correlationId/);
    expect(read(withEntry((e) => (e['timestamp'] = 'now')))).toThrow(/body\.messages\.0\.timestamp/);
    const many = { messages: Array.from({ length: MESSAGE_BATCH_MAX_MESSAGES + 1 }, () => body.messages[0]) };
    expect(read(delivered({ ...batch, content: Buffer.from(JSON.stringify(many)) }))).toThrow(
      /body\.messages/,
    );
    const huge = Buffer.alloc(MESSAGE_BATCH_MAX_BYTES + 2048, 32);
    expect(read(delivered({ ...batch, content: huge }))).toThrow(/too large/);
  });

  it("drops the failure and origin headers an entry carries: a batch cannot forge where a dead letter's replay goes", () => {
    const queue = topology.queues.commands.order;
    const forged = buildMessage({
      ...routeOf(topology, 'order.create'),
      type: 'order.create',
      payload: {},
      headers: {
        'x-original-exchange': 'elsewhere',
        'x-original-routing-key': 'k',
        'x-death': 'x',
        traceparent: 't',
      },
    });
    const batch = batchByQueue([forged, command('order.confirm')], routes)[0]!;
    const [entry] = unpackMessages(delivered(batch), queue, bindingsOf(topology, queue))!;
    expect(entry!.properties.headers).toEqual({
      traceparent: 't',
      'x-schema-version': (forged.properties.headers as Record<string, unknown>)['x-schema-version'],
    });
  });
});
