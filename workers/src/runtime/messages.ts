// Outbox rows a worker writes: the reply to a command and the domain events it raises, with the envelope headers.
import type { NewOutboxMessage } from '@sagaport/db';
import { traceSend, tracingEnabled } from '@sagaport/runtime';
import { randomUUID } from 'node:crypto';
import {
  eventHeaders,
  Header,
  routeOf,
  SCHEMA_VERSION,
  type EventPayload,
  type EventType,
  type InboundMessage,
  type Topology,
} from '@sagaport/rabbitmq';
import { z } from 'zod';

/** What a worker needs to know about a delivered command (an `InboundMessage` satisfies it). */
export type CommandDelivery = Pick<
  InboundMessage,
  'messageId' | 'type' | 'correlationId' | 'headers' | 'payload'
>;

/**
 * The reply as stored in the inbox: a redelivered command gets exactly this again, with the
 * same message id, so the orchestrator can recognise the duplicate.
 */
export const StoredReply = z.strictObject({
  messageId: z.uuid(),
  type: z.string().min(1),
  payload: z.unknown(),
  /** The domain events the effect raised, published again with the reply when the command is redelivered. */
  events: z
    .array(
      z.strictObject({
        messageId: z.uuid(),
        type: z.string().min(1),
        payload: z.unknown(),
        /** The event's metadata headers (version, aggregate, sequence, time): a redelivery republishes them unchanged. */
        headers: z.record(z.string(), z.unknown()).optional(),
      }),
    )
    .optional(),
});
export type StoredReply = z.infer<typeof StoredReply>;

/**
 * Headers of a message caused by `command`: the causation id, the schema version and the
 * command's trace context, so a trace follows the saga through every worker.
 */
export function causedHeaders(command: CommandDelivery): Record<string, unknown> {
  const headers: Record<string, unknown> = {
    [Header.causationId]: command.messageId,
    [Header.schemaVersion]: SCHEMA_VERSION,
  };
  for (const name of [Header.traceparent, Header.tracestate]) {
    const value = command.headers[name];
    if (typeof value === 'string' && value.length > 0) headers[name] = value;
  }
  return headers;
}

/** A message a worker produces: a reply or a domain event. */
export interface ProducedMessage {
  readonly messageId: string;
  readonly type: string;
  readonly payload: unknown;
  /** Headers of its own (a domain event's metadata), added to the caused headers. */
  readonly headers?: Readonly<Record<string, unknown>> | undefined;
}

/**
 * The outbox row that carries `message` (a reply or an event caused by `command`) to the
 * broker; the orchestrator's relay publishes it after the transaction commits.
 */
export function outboxRowOf(
  topology: Topology,
  command: CommandDelivery,
  sagaId: string,
  message: ProducedMessage,
): NewOutboxMessage {
  const route = routeOf(topology, message.type);
  const headers = { ...causedHeaders(command), ...message.headers };
  return {
    messageId: message.messageId,
    ...route,
    messageType: message.type,
    correlationId: sagaId,
    // Traced: a send span under the command's consume span, whose context the message carries.
    headers: tracingEnabled()
      ? traceSend(headers, command.headers, {
          type: message.type,
          messageId: message.messageId,
          sagaId,
          destination: route.exchange,
        })
      : headers,
    payload: message.payload,
  };
}

/**
 * The outbox row of a domain event raised outside a command's effect (a hold committed by an
 * order event, a hold expired by the sweeper): due at once, the relay publishes it.
 */
export function eventOutboxRow<E extends EventType>(
  topology: Topology,
  event: { type: E; payload: EventPayload<E> & { orderId: string }; sequence: number; sagaId: string | null },
  causationId?: string,
): NewOutboxMessage {
  const headers: Record<string, unknown> = {
    [Header.schemaVersion]: SCHEMA_VERSION,
    ...eventHeaders(event.type, { aggregateId: event.payload.orderId, sequence: event.sequence }),
  };
  if (causationId) headers[Header.causationId] = causationId;
  return {
    messageId: randomUUID(),
    ...routeOf(topology, event.type),
    messageType: event.type,
    correlationId: event.sagaId,
    headers,
    payload: event.payload,
  };
}
