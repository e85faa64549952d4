// Builds the messages a consumer sends to a retry tier or a dead-letter queue from a failed delivery.
import { randomUUID } from 'node:crypto';
import type { ConsumeMessage } from 'amqplib';
import { Header, type OutgoingMessage } from './envelope.js';
import type { FailureClass } from './errors.js';

const MAX_ERROR_MESSAGE = 2_000;
const MAX_ERROR_STACK = 8_000;
/** What a dead letter keeps of a body over the size limit: enough to see what it was. */
const MAX_TRUNCATED_BODY = 64 * 1024;

export interface FailureContext {
  readonly queue: string;
  readonly failedBy: string;
  /** The failure's class, or `crash-loop`: the message killed its process each time it ran alone. */
  readonly errorClass: FailureClass | 'crash-loop';
  readonly error: unknown;
  readonly attempt: number;
  readonly now?: Date;
}

function describe(error: unknown): { name: string; message: string; stack: string } {
  if (error instanceof Error) {
    return {
      name: error.name,
      message: error.message.slice(0, MAX_ERROR_MESSAGE),
      stack: (error.stack ?? '').slice(0, MAX_ERROR_STACK),
    };
  }
  return { name: 'NonError', message: String(error).slice(0, MAX_ERROR_MESSAGE), stack: '' };
}

/** The headers that record where a message came from and how it failed; the first failure is kept. */
function failureHeaders(raw: ConsumeMessage, context: FailureContext): Record<string, unknown> {
  const headers = { ...(raw.properties.headers ?? {}) } as Record<string, unknown>;
  const now = (context.now ?? new Date()).toISOString();
  const error = describe(context.error);
  headers[Header.originalExchange] ??= raw.fields.exchange;
  headers[Header.originalRoutingKey] ??= raw.fields.routingKey;
  headers[Header.originalQueue] ??= context.queue;
  headers[Header.firstFailureAt] ??= now;
  headers[Header.lastFailureAt] = now;
  headers[Header.attempt] = context.attempt;
  headers[Header.errorClass] = context.errorClass;
  headers[Header.errorName] = error.name;
  headers[Header.errorMessage] = error.message;
  headers[Header.errorStack] = error.stack;
  headers[Header.failedBy] = context.failedBy;
  return headers;
}

function copyProperties(raw: ConsumeMessage, headers: Record<string, unknown>) {
  const p = raw.properties;
  return {
    messageId: typeof p.messageId === 'string' && p.messageId ? p.messageId : randomUUID(),
    type: typeof p.type === 'string' ? p.type : 'unknown',
    ...(p.correlationId ? { correlationId: p.correlationId as string } : {}),
    ...(p.timestamp ? { timestamp: p.timestamp as number } : {}),
    ...(p.contentType ? { contentType: p.contentType as string } : {}),
    deliveryMode: 2,
    headers,
  };
}

/** The copy of a failed delivery that waits in a retry tier, then returns to `context.queue`. */
export function retryMessage(
  raw: ConsumeMessage,
  context: FailureContext & { retryExchange: string; tierName: string; delayMs: number; nextAttempt: number },
): OutgoingMessage {
  const headers = failureHeaders(raw, context);
  headers[Header.attempt] = context.nextAttempt;
  return {
    exchange: context.retryExchange,
    routingKey: `${context.tierName}.${context.queue}`,
    content: raw.content,
    properties: { ...copyProperties(raw, headers), expiration: String(context.delayMs) },
  };
}

/**
 * The dead letter of a failed delivery: the original body untouched, the failure in its headers.
 * A body over `maxBodyBytes` (it could not be published, nor consumed) is cut to its first
 * 64 KiB, its size in `x-body-truncated-from`.
 */
export function deadLetterMessage(
  raw: ConsumeMessage,
  context: FailureContext & { deadLetterExchange: string; maxBodyBytes?: number },
): OutgoingMessage {
  const headers = failureHeaders(raw, context);
  let content = raw.content;
  if (context.maxBodyBytes !== undefined && content.length > context.maxBodyBytes) {
    headers[Header.bodyTruncatedFrom] = content.length;
    content = content.subarray(0, Math.min(context.maxBodyBytes, MAX_TRUNCATED_BODY));
  }
  return {
    exchange: context.deadLetterExchange,
    routingKey: context.queue,
    content,
    properties: copyProperties(raw, headers),
  };
}
