// Fields every log line of a request carries (request id), and the active span's trace ids.
import { AsyncLocalStorage } from 'node:async_hooks';
import { trace } from '@opentelemetry/api';
import { tracingEnabled } from '../tracing/state.js';

const store = new AsyncLocalStorage<Record<string, unknown>>();

/** Runs `work` with `fields` added to every log line it writes (a request's id). */
export function withLogContext<T>(fields: Record<string, unknown>, work: () => T): T {
  return store.run(fields, work);
}

/**
 * pino's mixin: the request's fields, and `trace_id` / `span_id` of the active span when
 * tracing is on. Message handlers add `saga_id`, `message_id` and `message_type` themselves.
 */
export function logMixin(): Record<string, unknown> {
  const fields = store.getStore();
  if (!tracingEnabled()) return fields ?? {};
  const span = trace.getActiveSpan()?.spanContext();
  if (!span) return fields ?? {};
  return { ...fields, trace_id: span.traceId, span_id: span.spanId };
}
