// Turns a message taken off a DLQ (or the retry log) into the row the archive stores.
import { createHash } from 'node:crypto';
import type { deadLetters, messageRetries } from '@sagaport/db';
import { Header } from '@sagaport/rabbitmq';
import { fingerprintOf } from './fingerprint.js';

/** The parts of an AMQP delivery the archive reads. */
export interface RawDelivery {
  readonly content: Buffer;
  readonly fields: { readonly exchange: string; readonly routingKey: string };
  readonly properties: {
    readonly messageId?: unknown;
    readonly correlationId?: unknown;
    readonly type?: unknown;
    readonly timestamp?: unknown;
    readonly expiration?: unknown;
    readonly contentType?: unknown;
    readonly headers?: Record<string, unknown> | undefined;
  };
}

export type NewDeadLetter = typeof deadLetters.$inferInsert;
export type NewMessageRetry = typeof messageRetries.$inferInsert;

export const uuidPattern = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** JSON-safe copy: Dates as ISO strings, Buffers as text, NUL removed (PostgreSQL rejects it). */
export function toJsonSafe(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string') return value.replaceAll('\u0000', '');
  if (typeof value === 'number' || typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return value.toISOString();
  if (Buffer.isBuffer(value)) return toJsonSafe(value.toString('utf8'));
  if (Array.isArray(value)) return value.map(toJsonSafe);
  if (typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, toJsonSafe(v)]));
  }
  return typeof value === 'symbol' ? value.toString() : null; // functions: nothing to keep
}

const text = (value: unknown, fallback: string): string =>
  typeof value === 'string' && value.length > 0 ? value.replaceAll('\u0000', '') : fallback;

const numberOr = (value: unknown, fallback: number): number =>
  typeof value === 'number' && Number.isFinite(value) ? value : fallback;

function time(value: unknown): Date | undefined {
  if (value instanceof Date) return value;
  if (typeof value === 'number') return new Date(value < 1e12 ? value * 1000 : value);
  if (typeof value === 'string' && !Number.isNaN(Date.parse(value))) return new Date(value);
  return undefined;
}

/** The broker's newest `x-death` entry, when the broker itself dead-lettered the message. */
interface Death {
  readonly reason: string;
  readonly queue: string;
  readonly exchange: string;
  readonly routingKey: string;
  readonly count: number;
  readonly time: Date | undefined;
}

function newestDeath(headers: Record<string, unknown>): Death | undefined {
  const deaths = headers['x-death'];
  if (!Array.isArray(deaths) || deaths.length === 0) return undefined;
  const d = deaths[0] as Record<string, unknown>;
  const keys = d['routing-keys'];
  return {
    reason: text(d.reason, 'unknown'),
    queue: text(d.queue, 'unknown'),
    exchange: text(d.exchange, ''),
    routingKey: Array.isArray(keys) && typeof keys[0] === 'string' ? keys[0] : '',
    count: typeof d.count === 'number' ? d.count : 1,
    time: time(d.time),
  };
}

/** Body as stored: UTF-8 when it round-trips and holds no NUL, base64 otherwise. */
function storedBody(content: Buffer): { body: string; bodyEncoding: 'utf8' | 'base64' } {
  const utf8 = content.toString('utf8');
  if (Buffer.from(utf8, 'utf8').equals(content) && !utf8.includes('\u0000')) {
    return { body: utf8, bodyEncoding: 'utf8' };
  }
  return { body: content.toString('base64'), bodyEncoding: 'base64' };
}

/** Same delivery → same key; a later failure of the same message → another key. */
function failureKey(kind: string, queue: string, headers: Record<string, unknown>, content: Buffer) {
  // Quorum queues add x-delivery-count when they redeliver: not part of the failure.
  const stable = Object.fromEntries(
    Object.entries(headers)
      .filter(([k]) => k !== 'x-delivery-count')
      .sort(([a], [b]) => a.localeCompare(b)),
  );
  return createHash('sha256')
    .update(kind)
    .update(queue)
    .update(JSON.stringify(toJsonSafe(stable)))
    .update(content)
    .digest('hex');
}

/**
 * Reads a DLQ message. A consumer's dead letter carries the `x-error-*` headers; one the broker
 * dead-lettered itself (the quorum queue's delivery limit: the message kept crashing its worker,
 * or it was rejected) is recognised by its newest `x-death` entry.
 */
export function readDeadLetter(delivery: RawDelivery, deadLetterQueue: string): NewDeadLetter {
  const headers = delivery.properties.headers ?? {};
  const death = newestDeath(headers);
  const byBroker = death !== undefined && death.reason !== 'expired';
  const now = new Date();
  const originalQueue = byBroker ? death.queue : text(headers[Header.originalQueue], 'unknown');
  const messageType = text(delivery.properties.type, 'unknown');
  const errorClass = byBroker ? 'crash-loop' : text(headers[Header.errorClass], 'unknown');
  const deliveries =
    typeof headers['x-delivery-count'] === 'number' ? headers['x-delivery-count'] : undefined;
  const errorMessage = byBroker
    ? death.reason === 'delivery_limit'
      ? `the broker dead-lettered it after ${deliveries ?? 'too many'} deliveries without an ack (x-delivery-limit): it likely crashes or hangs its consumer`
      : `the broker dead-lettered it (${death.reason})`
    : text(headers[Header.errorMessage], 'no error recorded');
  const sagaId = text(delivery.properties.correlationId, '');
  const fingerprint = fingerprintOf({ originalQueue, messageType, errorClass, errorMessage });
  const replayOf = text(headers[Header.replayOf], '');
  const lastFailedAt = (byBroker ? death.time : time(headers[Header.lastFailureAt])) ?? now;
  return {
    failureKey: failureKey('dead-letter', deadLetterQueue, headers, delivery.content),
    deadLetterQueue,
    // '' is an exchange too (the default one, a message addressed to its queue by name).
    originalExchange: byBroker
      ? death.exchange
      : typeof headers[Header.originalExchange] === 'string'
        ? text(headers[Header.originalExchange], '')
        : delivery.fields.exchange,
    originalRoutingKey: byBroker
      ? death.routingKey
      : text(headers[Header.originalRoutingKey], delivery.fields.routingKey),
    originalQueue,
    messageId: text(delivery.properties.messageId, '(none)'),
    messageType,
    sagaId: uuidPattern.test(sagaId) ? sagaId : null,
    headers: toJsonSafe(headers) as Record<string, unknown>,
    properties: toJsonSafe(
      Object.fromEntries(
        Object.entries(delivery.properties).filter(([k, v]) => k !== 'headers' && v != null),
      ),
    ) as Record<string, unknown>,
    ...storedBody(delivery.content),
    errorClass,
    errorName: byBroker ? 'DeliveryLimitExceeded' : text(headers[Header.errorName], 'Error'),
    errorMessage,
    errorStack: byBroker ? '' : text(headers[Header.errorStack], ''),
    attempts: byBroker ? (deliveries ?? death.count) : numberOr(headers[Header.attempt], 1),
    firstFailedAt: (byBroker ? undefined : time(headers[Header.firstFailureAt])) ?? lastFailedAt,
    lastFailedAt,
    failedBy: byBroker
      ? `rabbitmq (${death.queue}: ${death.reason})`
      : text(headers[Header.failedBy], 'unknown'),
    fingerprint: fingerprint.fingerprint,
    fingerprintText: fingerprint.text,
    replayOf: uuidPattern.test(replayOf) ? replayOf : null,
  };
}

/** Reads a copy of a scheduled retry (routing key `<tier>.<queue>`). */
export function readRetry(delivery: RawDelivery): NewMessageRetry {
  const headers = delivery.properties.headers ?? {};
  const [tier = 'unknown', ...rest] = delivery.fields.routingKey.split('.');
  const sagaId = text(delivery.properties.correlationId, '');
  const delay = Number(delivery.properties.expiration);
  return {
    failureKey: failureKey('retry', delivery.fields.routingKey, headers, delivery.content),
    messageId: text(delivery.properties.messageId, '(none)'),
    messageType: text(delivery.properties.type, 'unknown'),
    sagaId: uuidPattern.test(sagaId) ? sagaId : null,
    queue: text(headers[Header.originalQueue], rest.join('.')),
    nextAttempt: numberOr(headers[Header.attempt], 2),
    tier,
    delayMs: Number.isFinite(delay) ? Math.round(delay) : null,
    errorClass: text(headers[Header.errorClass], 'unknown'),
    errorMessage: text(headers[Header.errorMessage], ''),
    failedBy: text(headers[Header.failedBy], 'unknown'),
    failedAt: time(headers[Header.lastFailureAt]) ?? new Date(),
  };
}
