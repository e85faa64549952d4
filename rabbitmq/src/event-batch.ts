// Event batches: the domain events one publish round raises, carried to the stream in one message.
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { SCHEMA_VERSION } from './contracts/common.js';
import { EventHeader, type RawEvent } from './contracts/events.js';
import { Header, type OutgoingMessage } from './envelope.js';
import { batchedMessageJson, chunksOf, DEFAULT_EXCHANGE } from './message-batch.js';
import type { Topology } from './topology.js';

/**
 * The type (and routing key) of a message that carries several domain events. The broker's cost
 * is per message, not per byte: a stream message per event made the events most of its work.
 */
export const EVENT_BATCH_TYPE = 'sagaport.event-batch';

/** Header of a batch: how many events it carries. */
export const EVENT_COUNT_HEADER = 'x-event-count';

/** Events in one batch, at most (a bigger round is split). */
export const EVENT_BATCH_MAX_EVENTS = 200;

/**
 * Body bytes of one batch, at most (a bigger round is split). Stream readers hold up to their
 * prefetch window of messages (a projection runner 1,000, a rebuild 2,000), so this bounds their
 * memory at 64 MB and 128 MB in the worst case; a publish round of a few dozen events is ~20 KB.
 */
export const EVENT_BATCH_MAX_BYTES = 64 * 1024;

/** One event inside a batch: what its own message would have carried. */
export const BatchedEvent = z.object({
  messageId: z.unknown(),
  type: z.unknown(),
  correlationId: z.unknown().optional(),
  headers: z.record(z.string(), z.unknown()),
  payload: z.unknown(),
});

/** The body of a batch message. */
export const EventBatchBody = z.object({ events: z.array(BatchedEvent).min(1) });

/**
 * For each event type a queue besides the stream is bound to (the inventory's order events):
 * those queues. Such an event reaches its queues by a copy of its own, addressed to each queue.
 */
export function separatelyRoutedEvents(topology: Topology): ReadonlyMap<string, readonly string[]> {
  const queues = new Map<string, string[]>();
  for (const b of topology.declarations.bindings) {
    if (b.exchange !== topology.exchanges.events || b.queue === topology.queues.events) continue;
    queues.set(b.routingKey, [...(queues.get(b.routingKey) ?? []), b.queue]);
  }
  return queues;
}

/**
 * Returns `messages` with the domain events among them (those published to the events exchange)
 * gathered into batch messages for the stream, in their order; replies and commands pass
 * unchanged. An event some other queue is bound to (see {@link separatelyRoutedEvents}) goes
 * into the batch too, and a copy goes straight to each of those queues (the default exchange,
 * addressed by queue name): a stream message costs the broker about as much as two quorum-queue
 * messages, so a round's order confirmations are one stream message, not one each. A round's
 * only event stays a message of its own, routed by its type to the stream and its queues. Each
 * batch holds every event's message id, type, correlation id, headers and payload, so a reader
 * sees exactly the events the single messages would have carried.
 */
export function batchEvents(
  topology: Topology,
  messages: readonly OutgoingMessage[],
  separate: ReadonlyMap<string, readonly string[]> = separatelyRoutedEvents(topology),
): OutgoingMessage[] {
  const out: OutgoingMessage[] = [];
  const batchable: OutgoingMessage[] = [];
  for (const message of messages) {
    if (message.exchange === topology.exchanges.events) batchable.push(message);
    else out.push(message);
  }
  if (batchable.length <= 1) return [...out, ...batchable];
  for (const message of batchable) {
    for (const queue of separate.get(message.routingKey) ?? []) {
      out.push({ ...message, exchange: DEFAULT_EXCHANGE, routingKey: queue });
    }
  }
  const eventJson = (message: OutgoingMessage) => batchedMessageJson(message, false);
  for (const chunk of chunksOf(batchable, eventJson, EVENT_BATCH_MAX_EVENTS, EVENT_BATCH_MAX_BYTES)) {
    // The batch's time for readers that look at the message only (the stream's end, lag in seconds).
    const occurredAt = chunk.messages.reduce<unknown>(
      (time, message) => headersOf(message)[EventHeader.occurredAt] ?? time,
      undefined,
    );
    out.push(batchMessage(topology.exchanges.events, chunk.parts, occurredAt));
  }
  return out;
}

/** A message's headers (amqplib types them `any`). */
export function headersOf(message: OutgoingMessage): Record<string, unknown> {
  return (message.properties.headers ?? {}) as Record<string, unknown>;
}

function batchMessage(exchange: string, parts: readonly string[], occurredAt: unknown): OutgoingMessage {
  const headers: Record<string, unknown> = {
    [Header.schemaVersion]: SCHEMA_VERSION,
    [EVENT_COUNT_HEADER]: parts.length,
  };
  if (typeof occurredAt === 'string') headers[EventHeader.occurredAt] = occurredAt;
  return {
    exchange,
    routingKey: EVENT_BATCH_TYPE,
    content: Buffer.from(`{"events":[${parts.join(',')}]}`),
    properties: {
      messageId: randomUUID(),
      type: EVENT_BATCH_TYPE,
      timestamp: Date.now(),
      contentType: 'application/json',
      deliveryMode: 2,
      headers,
    },
  };
}

/** A stream message's event as stored when parked: the event's fields and its body as text. */
export type StreamRawEvent = RawEvent & {
  readonly bodyText: string;
  /** Why the event could not even be taken out of its message (a broken batch); readers park it. */
  readonly fault?: string;
};

/** The properties and body of a delivered stream message, as `unpackEvents` reads them. */
export interface StreamMessage {
  readonly properties: {
    readonly messageId?: unknown;
    readonly type?: unknown;
    readonly correlationId?: unknown;
    readonly headers?: Record<string, unknown> | undefined;
  };
  readonly content: Buffer;
}

/**
 * The events a stream message carries, in order: one for a message of its own, each of a batch's.
 * A batch that cannot be read yields one entry with its `fault`, so a reader parks it whole.
 */
export function unpackEvents(message: StreamMessage): StreamRawEvent[] {
  const bodyText = message.content.toString('utf8');
  let body: unknown;
  try {
    body = JSON.parse(bodyText);
  } catch {
    body = undefined;
  }
  const whole: StreamRawEvent = {
    messageId: message.properties.messageId,
    type: message.properties.type,
    correlationId: message.properties.correlationId,
    headers: { ...(message.properties.headers ?? {}) },
    body,
    bodyText,
  };
  if (message.properties.type !== EVENT_BATCH_TYPE) return [whole];
  const batch = EventBatchBody.safeParse(body);
  if (!batch.success) {
    const issue = batch.error.issues[0];
    const where = ['body', ...(issue?.path ?? []).map(String)].join('.');
    return [
      {
        ...whole,
        fault: `event batch: ${body === undefined ? 'body is not valid JSON' : `${where}: ${issue?.message ?? 'invalid'}`}`,
      },
    ];
  }
  return batch.data.events.map((event) => ({
    messageId: event.messageId,
    type: event.type,
    correlationId: event.correlationId,
    headers: event.headers,
    body: event.payload,
    bodyText: JSON.stringify(event.payload) ?? '',
  }));
}
