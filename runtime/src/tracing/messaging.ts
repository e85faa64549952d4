// Spans of the message path: one consume span per delivery, a send span per produced message, trace context in headers.
import {
  context,
  type Link,
  propagation,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
} from '@opentelemetry/api';
import type { DeliveryOutcome, DeliveryTracer } from '@sagaport/rabbitmq';
import { tracingEnabled } from './state.js';

/** The tracer of every Sagaport span. */
export function tracer() {
  return trace.getTracer('sagaport');
}

/** The messaging semantic-convention attributes of one message. */
export function messageAttributes(message: {
  readonly operation: 'process' | 'send';
  readonly destination: string;
  readonly messageId?: string | undefined;
  readonly sagaId?: string | undefined;
  readonly type?: string | undefined;
  readonly routingKey?: string | undefined;
}): Attributes {
  const attributes: Attributes = {
    'messaging.system': 'rabbitmq',
    'messaging.operation.type': message.operation,
    'messaging.operation.name': message.operation,
    'messaging.destination.name': message.destination,
  };
  if (message.messageId) attributes['messaging.message.id'] = message.messageId;
  if (message.sagaId) {
    attributes['messaging.message.conversation_id'] = message.sagaId;
    attributes['saga.id'] = message.sagaId;
  }
  if (message.type) attributes['sagaport.message.type'] = message.type;
  if (message.routingKey) attributes['messaging.rabbitmq.destination.routing_key'] = message.routingKey;
  return attributes;
}

/** The trace context carried by `headers` (`traceparent`, `tracestate`), or the root context. */
export function contextOf(headers: Record<string, unknown> | undefined) {
  return headers ? propagation.extract(ROOT_CONTEXT, headers) : ROOT_CONTEXT;
}

/** Writes `span`'s context into `headers` (`traceparent`, and `tracestate` when it has one). */
export function injectInto(headers: Record<string, unknown>, span: Span): Record<string, unknown> {
  propagation.inject(trace.setSpan(ROOT_CONTEXT, span), headers);
  return headers;
}

const failedOutcomes: ReadonlySet<DeliveryOutcome> = new Set(['retried', 'dead-lettered', 'requeued']);

/**
 * The consumer's tracer for `queue`, or undefined when tracing is off (the consumer then does no
 * tracing work at all). Each delivery gets a CONSUMER span, child of the context in its headers;
 * the delivery's `traceparent` header is then replaced by the span's own, so whatever the handler
 * writes from those headers (replies, retries, dead letters) continues the trace under it.
 */
export function deliveryTracer(queue: string): DeliveryTracer | undefined {
  if (!tracingEnabled()) return undefined;
  return {
    start(raw: Parameters<DeliveryTracer['start']>[0]) {
      const headers = (raw.properties.headers ??= {}) as Record<string, unknown>;
      const { messageId, correlationId, type } = raw.properties as {
        messageId?: unknown;
        correlationId?: unknown;
        type?: unknown;
      };
      const span = tracer().startSpan(
        `process ${queue}`,
        {
          kind: SpanKind.CONSUMER,
          attributes: {
            ...messageAttributes({
              operation: 'process',
              destination: queue,
              messageId: typeof messageId === 'string' ? messageId : undefined,
              sagaId: typeof correlationId === 'string' ? correlationId : undefined,
              type: typeof type === 'string' ? type : undefined,
              routingKey: raw.fields.routingKey,
            }),
            'sagaport.attempt': typeof headers['x-attempt'] === 'number' ? headers['x-attempt'] : 1,
          },
        },
        contextOf(headers),
      );
      injectInto(headers, span);
      return (outcome: DeliveryOutcome) => {
        span.setAttribute('sagaport.outcome', outcome);
        if (failedOutcomes.has(outcome)) span.setStatus({ code: SpanStatusCode.ERROR, message: outcome });
        span.end();
      };
    },
  };
}

/**
 * Starts a PRODUCER span for a message about to be written (outbox row or publish), child of
 * `parent` (a `traceparent` carrier) or of the active context, ends it, and returns `headers`
 * with the span's context in them. Call only when {@link tracingEnabled}.
 */
export function traceSend(
  headers: Record<string, unknown>,
  parent: Record<string, unknown> | undefined,
  message: { type: string; messageId: string; sagaId?: string | undefined; destination: string },
  links?: Link[],
): Record<string, unknown> {
  const span = tracer().startSpan(
    `send ${message.type}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: messageAttributes({ operation: 'send', ...message }),
      ...(links ? { links } : {}),
    },
    parent ? contextOf(parent) : context.active(),
  );
  span.end();
  return injectInto({ ...headers }, span);
}

/**
 * Runs `work` inside an INTERNAL span named `name`, child of the context in `headers`; records a
 * thrown error on the span. Call only when {@link tracingEnabled}.
 */
export async function inSpan<T>(
  name: string,
  headers: Record<string, unknown> | undefined,
  attributes: Attributes,
  work: () => Promise<T>,
): Promise<T> {
  const span = tracer().startSpan(name, { attributes }, headers ? contextOf(headers) : context.active());
  try {
    return await context.with(trace.setSpan(context.active(), span), work);
  } catch (error) {
    span.recordException(error as Error);
    span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error).message });
    throw error;
  } finally {
    span.end();
  }
}

/** The trace and span ids of a W3C `traceparent` value, for log lines; empty when there is none. */
export function traceIdsOf(traceparent: unknown): { trace_id?: string; span_id?: string } {
  if (typeof traceparent !== 'string') return {};
  const match = /^[\da-f]{2}-([\da-f]{32})-([\da-f]{16})-[\da-f]{2}$/.exec(traceparent);
  return match ? { trace_id: match[1]!, span_id: match[2]! } : {};
}
