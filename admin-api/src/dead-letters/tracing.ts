// A replay from the console (or a bulk job) as a span in the dead letter's trace, linked to the operator's request.
import { context, SpanKind, trace } from '@opentelemetry/api';
import { contextOf, injectInto, messageAttributes, tracer, tracingEnabled } from '@sagaport/runtime';

/**
 * The headers of a replayed message: with tracing on, a PRODUCER span `replay <type>` child of
 * the dead letter's own trace context (so the replay shows in the saga's trace), linked to the
 * operator's request or job span, whose context the replayed message carries. Unchanged when
 * tracing is off.
 */
export function replayHeaders(
  headers: Record<string, unknown>,
  message: { type: string; messageId: string; sagaId: string | null; exchange: string; deadLetterId: string },
): Record<string, unknown> {
  if (!tracingEnabled()) return headers;
  const operator = trace.getSpanContext(context.active());
  const span = tracer().startSpan(
    `replay ${message.type}`,
    {
      kind: SpanKind.PRODUCER,
      attributes: {
        ...messageAttributes({
          operation: 'send',
          destination: message.exchange,
          messageId: message.messageId,
          sagaId: message.sagaId ?? undefined,
          type: message.type,
        }),
        'sagaport.replay_of': message.deadLetterId,
      },
      ...(operator
        ? { links: [{ context: operator, attributes: { 'sagaport.link': 'operator request' } }] }
        : {}),
    },
    contextOf(headers),
  );
  span.end();
  return injectInto({ ...headers }, span);
}
