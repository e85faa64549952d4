// The active span's trace ids on every log line written inside it, when tracing is on.
import { trace } from '@opentelemetry/api';
import { tracingEnabled } from '../tracing/state.js';

/**
 * pino's mixin: `trace_id` / `span_id` of the active span when tracing is on. A request's id is
 * not carried implicitly: an AsyncLocalStorage for it made Node install promise hooks, which ran
 * on every promise of the process (about 4 % of the orchestrator's CPU under load). The request
 * middleware and the error hooks write it themselves (`requestLogFields`); message handlers add
 * `saga_id`, `message_id` and `message_type`.
 */
export function logMixin(): Record<string, unknown> {
  if (!tracingEnabled()) return {};
  const span = trace.getActiveSpan()?.spanContext();
  return span ? { trace_id: span.traceId, span_id: span.spanId } : {};
}
