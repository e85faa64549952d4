// The message envelope: AMQP properties and headers every Sagaport message carries.
import { randomUUID } from 'node:crypto';
import type { ConsumeMessage, Options } from 'amqplib';
import { z } from 'zod';
import { SCHEMA_VERSION } from './contracts/common.js';
import type { ContractRegistry } from './contracts/index.js';
import { ContractViolationError, InvalidJsonError, UnknownMessageTypeError } from './errors.js';

/** Header names of the envelope; `x-` headers are Sagaport's own. */
export const Header = {
  traceparent: 'traceparent',
  tracestate: 'tracestate',
  causationId: 'x-causation-id',
  attempt: 'x-attempt',
  schemaVersion: 'x-schema-version',
  originalExchange: 'x-original-exchange',
  originalRoutingKey: 'x-original-routing-key',
  originalQueue: 'x-original-queue',
  firstFailureAt: 'x-first-failure-at',
  lastFailureAt: 'x-last-failure-at',
  errorClass: 'x-error-class',
  errorName: 'x-error-name',
  errorMessage: 'x-error-message',
  errorStack: 'x-error-stack',
  failedBy: 'x-failed-by',
  /** On a replayed message: the id of the dead letter it was replayed from. */
  replayOf: 'x-replay-of',
  /** On a dead letter whose body was cut to fit: the size of the original body, in bytes. */
  bodyTruncatedFrom: 'x-body-truncated-from',
} as const;

/**
 * Headers that describe a message's failures and where it failed, not the message: written by
 * the consumer that retries or dead-letters it, and by the broker. A replay starts without them,
 * and a message taken out of a batch cannot bring its own.
 */
export const FAILURE_HEADERS: ReadonlySet<string> = new Set([
  Header.originalExchange,
  Header.originalRoutingKey,
  Header.originalQueue,
  Header.firstFailureAt,
  Header.lastFailureAt,
  Header.errorClass,
  Header.errorName,
  Header.errorMessage,
  Header.errorStack,
  Header.failedBy,
  Header.replayOf,
  Header.bodyTruncatedFrom,
  'x-death',
  'x-first-death-exchange',
  'x-first-death-queue',
  'x-first-death-reason',
  'x-last-death-exchange',
  'x-last-death-queue',
  'x-last-death-reason',
  'x-delivery-count',
]);

/** The AMQP properties of an envelope, checked on every inbound message. */
export const EnvelopeProperties = z.object({
  messageId: z.uuid(),
  correlationId: z.uuid().optional(),
  type: z.string().min(1),
  timestamp: z.number().int().positive(),
  contentType: z.literal('application/json'),
  headers: z
    .object({
      [Header.schemaVersion]: z.literal(SCHEMA_VERSION),
      [Header.attempt]: z.number().int().positive().optional(),
      [Header.causationId]: z.string().optional(),
      [Header.traceparent]: z.string().optional(),
      [Header.tracestate]: z.string().optional(),
    })
    .loose(),
});

/** A message ready to publish: route, body bytes and properties. */
export interface OutgoingMessage {
  readonly exchange: string;
  readonly routingKey: string;
  readonly content: Buffer;
  readonly properties: Options.Publish & { messageId: string; type: string };
}

export interface BuildMessageInput {
  readonly exchange: string;
  readonly routingKey: string;
  readonly type: string;
  readonly payload: unknown;
  readonly messageId?: string;
  /** The saga id. */
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly traceparent?: string;
  readonly tracestate?: string;
  readonly headers?: Record<string, unknown>;
}

/** Builds a persistent JSON message with the envelope's properties and headers. */
export function buildMessage(input: BuildMessageInput): OutgoingMessage {
  const headers: Record<string, unknown> = { ...input.headers, [Header.schemaVersion]: SCHEMA_VERSION };
  if (input.causationId) headers[Header.causationId] = input.causationId;
  if (input.traceparent) headers[Header.traceparent] = input.traceparent;
  if (input.tracestate) headers[Header.tracestate] = input.tracestate;
  return {
    exchange: input.exchange,
    routingKey: input.routingKey,
    content: Buffer.from(JSON.stringify(input.payload)),
    properties: {
      messageId: input.messageId ?? randomUUID(),
      ...(input.correlationId ? { correlationId: input.correlationId } : {}),
      type: input.type,
      timestamp: Date.now(),
      contentType: 'application/json',
      deliveryMode: 2,
      headers,
    },
  };
}

/** A delivered message after its envelope and payload passed their contracts. */
export interface InboundMessage<P = unknown> {
  readonly messageId: string;
  readonly type: string;
  readonly correlationId: string | undefined;
  readonly attempt: number;
  readonly headers: Record<string, unknown>;
  readonly payload: P;
  readonly raw: ConsumeMessage;
}

/** Formats zod issues as `path: message`, the path naming the field at fault. */
export function formatIssues(error: z.ZodError, root: string): string[] {
  return error.issues.map((issue) => {
    const path = [root, ...issue.path.map(String)].join('.');
    return `${path}: ${issue.message}`;
  });
}

/** The attempt number of a delivery (1 for the first), from the `x-attempt` header. */
export function attemptOf(raw: ConsumeMessage): number {
  const value = (raw.properties.headers ?? {})[Header.attempt] as unknown;
  return typeof value === 'number' && Number.isInteger(value) && value > 0 ? value : 1;
}

/**
 * Checks a delivered message against the envelope and its contract. Throws a PermanentError
 * subclass (invalid JSON, unknown type, contract violation) that names the reason.
 */
export function parseInbound(raw: ConsumeMessage, contracts: ContractRegistry): InboundMessage {
  const type = raw.properties.type as unknown;
  if (typeof type !== 'string' || !Object.hasOwn(contracts, type)) {
    throw new UnknownMessageTypeError(`unknown message type ${JSON.stringify(type ?? null)}`);
  }
  const envelope = EnvelopeProperties.safeParse(raw.properties);
  if (!envelope.success) {
    throw new ContractViolationError(
      `envelope of ${type} is invalid`,
      formatIssues(envelope.error, 'properties'),
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.content.toString('utf8'));
  } catch (error) {
    throw new InvalidJsonError(`body of ${type} is not valid JSON: ${(error as Error).message}`, {
      cause: error,
    });
  }
  const payload = contracts[type]!.safeParse(body);
  if (!payload.success) {
    throw new ContractViolationError(
      `payload of ${type} breaks its contract`,
      formatIssues(payload.error, 'payload'),
    );
  }
  return {
    messageId: envelope.data.messageId,
    type,
    correlationId: envelope.data.correlationId,
    attempt: attemptOf(raw),
    headers: envelope.data.headers,
    payload: payload.data,
    raw,
  };
}
