// Message batches: the commands or replies bound for one queue, carried in one broker message.
import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { z } from 'zod';
import { SCHEMA_VERSION } from './contracts/common.js';
import { FAILURE_HEADERS, Header, type OutgoingMessage } from './envelope.js';
import { ContractViolationError, InvalidJsonError } from './errors.js';
import type { Topology } from './topology.js';

/**
 * The type of a message that carries several commands, replies or events for one queue. The
 * broker's cost is per message (a quorum queue writes each enqueue and each settle to its Raft
 * log, and both channels frame, confirm and ack each one), not per byte: the orchestrator's
 * batch of ten commands for four queues is four messages, a worker's round of replies one.
 */
export const MESSAGE_BATCH_TYPE = 'sagaport.message-batch';

/** Header of a batch: how many messages it carries. */
export const MESSAGE_COUNT_HEADER = 'x-message-count';

/** Messages in one batch, at most (a bigger group is split). */
export const MESSAGE_BATCH_MAX_MESSAGES = 100;

/**
 * Body bytes of one batch, at most (a bigger group is split). A consumer holds up to its
 * prefetch window of batches, so this bounds what a window of them can weigh.
 */
export const MESSAGE_BATCH_MAX_BYTES = 64 * 1024;

/** The exchange every queue is bound to by its name. */
export const DEFAULT_EXCHANGE = '';

/** Text AMQP carries as a short string (property values, header names): at most 255 bytes. */
const ShortString = z.string().refine((text) => Buffer.byteLength(text) <= 255, 'over 255 bytes');

/**
 * One message inside a batch: what its own message would have carried. Checked strictly, so
 * whatever a batch holds can be published again as a message of its own (a retry, a dead
 * letter): AMQP short strings, an integer timestamp, and headers whose values are text, numbers,
 * booleans or null, as every header Sagaport writes is.
 */
const BatchedMessage = z.object({
  messageId: ShortString,
  type: ShortString.min(1),
  correlationId: ShortString.optional(),
  timestamp: z.number().int().nonnegative().optional(),
  headers: z.record(
    ShortString.min(1),
    z.union([z.string().max(64 * 1024), z.number().finite(), z.boolean(), z.null()]),
  ),
  payload: z.unknown(),
});

/** The body of a batch message. */
export const MessageBatchBody = z.object({
  messages: z.array(BatchedMessage).min(1).max(MESSAGE_BATCH_MAX_MESSAGES),
});

/**
 * Where each message published to a non-topic exchange lands when exactly one queue is bound to
 * its routing key (every command and reply type): `exchange`, a newline, the routing key → queue.
 */
export function singleQueueRoutes(topology: Topology): ReadonlyMap<string, string> {
  const topic = new Set(topology.declarations.exchanges.filter((e) => e.type === 'topic').map((e) => e.name));
  const queues = new Map<string, string[]>();
  for (const b of topology.declarations.bindings) {
    if (topic.has(b.exchange)) continue;
    const key = `${b.exchange}\n${b.routingKey}`;
    queues.set(key, [...(queues.get(key) ?? []), b.queue]);
  }
  const routes = new Map<string, string>();
  for (const [key, bound] of queues) if (bound.length === 1) routes.set(key, bound[0]!);
  return routes;
}

/**
 * Returns `messages` with those bound for the same queue gathered into batch messages addressed
 * to that queue (by the default exchange), in their order. A message whose route is not in
 * `routes`, or the only one for its queue, passes unchanged: a batch of one would only cost
 * bytes. Messages already addressed to a queue by the default exchange are grouped by it.
 */
export function batchByQueue(
  messages: readonly OutgoingMessage[],
  routes: ReadonlyMap<string, string>,
): OutgoingMessage[] {
  if (messages.length <= 1) return [...messages];
  const out: OutgoingMessage[] = [];
  const byQueue = new Map<string, OutgoingMessage[]>();
  for (const message of messages) {
    const queue =
      message.exchange === DEFAULT_EXCHANGE
        ? message.routingKey
        : routes.get(`${message.exchange}\n${message.routingKey}`);
    if (queue === undefined) {
      out.push(message);
      continue;
    }
    const group = byQueue.get(queue);
    if (group) group.push(message);
    else byQueue.set(queue, [message]);
  }
  for (const [queue, group] of byQueue) {
    if (group.length === 1) {
      out.push(group[0]!);
      continue;
    }
    for (const chunk of chunksOf(
      group,
      batchedMessageJson,
      MESSAGE_BATCH_MAX_MESSAGES,
      MESSAGE_BATCH_MAX_BYTES,
    )) {
      out.push(chunk.messages.length === 1 ? chunk.messages[0]! : batchMessage(queue, chunk.parts));
    }
  }
  return out;
}

/** Messages cut, in order, into chunks of at most `maxCount` entries and `maxBytes` of entry text. */
export function chunksOf(
  messages: readonly OutgoingMessage[],
  entryJson: (message: OutgoingMessage) => string,
  maxCount: number,
  maxBytes: number,
): { messages: OutgoingMessage[]; parts: string[] }[] {
  const chunks: { messages: OutgoingMessage[]; parts: string[] }[] = [];
  let current = { messages: [] as OutgoingMessage[], parts: [] as string[] };
  let bytes = 0;
  for (const message of messages) {
    const part = entryJson(message);
    const full = current.parts.length >= maxCount || bytes + part.length > maxBytes;
    if (current.parts.length > 0 && full) {
      chunks.push(current);
      current = { messages: [], parts: [] };
      bytes = 0;
    }
    current.messages.push(message);
    current.parts.push(part);
    bytes += part.length + 1;
  }
  if (current.parts.length > 0) chunks.push(current);
  return chunks;
}

/**
 * A message's entry in a batch body, with what its own message would have carried: message id,
 * type, correlation id, the timestamp (`withTimestamp`), headers, and its payload, the message's
 * JSON body spliced as it is.
 */
export function batchedMessageJson(message: OutgoingMessage, withTimestamp = true): string {
  const { messageId, type, correlationId, timestamp } = message.properties;
  const headers = (message.properties.headers ?? {}) as Record<string, unknown>;
  return (
    `{"messageId":${JSON.stringify(messageId)},"type":${JSON.stringify(type)}` +
    (correlationId === undefined ? '' : `,"correlationId":${JSON.stringify(correlationId)}`) +
    (!withTimestamp || timestamp === undefined ? '' : `,"timestamp":${JSON.stringify(timestamp)}`) +
    `,"headers":${JSON.stringify(headers)},"payload":${message.content.toString('utf8')}}`
  );
}

function batchMessage(queue: string, parts: readonly string[]): OutgoingMessage {
  return {
    exchange: DEFAULT_EXCHANGE,
    routingKey: queue,
    content: Buffer.from(`{"messages":[${parts.join(',')}]}`),
    properties: {
      messageId: randomUUID(),
      type: MESSAGE_BATCH_TYPE,
      timestamp: Date.now(),
      contentType: 'application/json',
      deliveryMode: 2,
      headers: { [Header.schemaVersion]: SCHEMA_VERSION, [MESSAGE_COUNT_HEADER]: parts.length },
    },
  };
}

/**
 * For a consumer of `queue`: the exchange each message type reaches it by (its bindings), so a
 * message taken out of a batch gets the route its own message would have had. A type not bound
 * to the queue is given the default exchange and the queue's name: whatever a batch entry says,
 * its retries, dead letter and replay can only come back to the queue it arrived on.
 */
export function bindingsOf(topology: Topology, queue: string): ReadonlyMap<string, string> {
  const exchanges = new Map<string, string>();
  for (const b of topology.declarations.bindings) {
    if (b.queue !== queue || b.exchange === topology.exchanges.retryReturn) continue;
    if (!b.routingKey.includes('#') && !b.routingKey.includes('*')) exchanges.set(b.routingKey, b.exchange);
  }
  return exchanges;
}

/**
 * The messages a delivered batch carries, each as the delivery its own message would have been
 * (same delivery tag: the batch is settled once, by the consumer). Returns undefined for a
 * message that is not a batch. Throws a permanent error naming the field when the batch cannot be
 * read: it is dead-lettered whole. An entry that is readable as a batch entry but breaks its own
 * contract is checked, and dead-lettered, on its own, like any message.
 */
export function unpackMessages(
  raw: ConsumeMessage,
  queue: string,
  bindings: ReadonlyMap<string, string>,
): ConsumeMessage[] | undefined {
  if (raw.properties.type !== MESSAGE_BATCH_TYPE) return undefined;
  // A little over what a publisher puts in one (the body's brackets around the entries).
  if (raw.content.length > MESSAGE_BATCH_MAX_BYTES + 1024) {
    throw new ContractViolationError(`${MESSAGE_BATCH_TYPE} is too large`, [
      `body: ${raw.content.length} bytes, over the ${MESSAGE_BATCH_MAX_BYTES} bytes of a batch`,
    ]);
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.content.toString('utf8'));
  } catch (error) {
    throw new InvalidJsonError(
      `body of ${MESSAGE_BATCH_TYPE} is not valid JSON: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
  const batch = MessageBatchBody.safeParse(body);
  if (!batch.success) {
    throw new ContractViolationError(
      `body of ${MESSAGE_BATCH_TYPE} is not a batch`,
      batch.error.issues.map((issue) => `${['body', ...issue.path.map(String)].join('.')}: ${issue.message}`),
    );
  }
  return batch.data.messages.map((entry) => {
    const type = typeof entry.type === 'string' ? entry.type : undefined;
    const exchange = type === undefined ? undefined : bindings.get(type);
    const routed =
      exchange === undefined
        ? { exchange: DEFAULT_EXCHANGE, routingKey: queue }
        : { exchange, routingKey: type! };
    const properties: Record<string, unknown> = {
      ...raw.properties,
      messageId: entry.messageId,
      type: entry.type,
      correlationId: entry.correlationId,
      timestamp: entry.timestamp ?? raw.properties.timestamp,
      // A message in a batch has never failed (a retried one comes back alone): failure and
      // origin headers on an entry are forged, and dropped.
      headers: Object.fromEntries(
        Object.entries(entry.headers).filter(([name]) => !FAILURE_HEADERS.has(name)),
      ),
    };
    return {
      fields: { ...raw.fields, ...routed },
      properties: properties as unknown as ConsumeMessage['properties'],
      content: Buffer.from(JSON.stringify(entry.payload) ?? ''),
    };
  });
}
