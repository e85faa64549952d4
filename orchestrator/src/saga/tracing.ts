// Spans of the saga engine: one per transition (start, reply, timeout, operator action), in the saga's trace.
import { context, SpanKind, trace } from '@opentelemetry/api';
import { contextOf, injectInto, tracer } from '@sagaport/runtime';
import { inFlight } from './transition.js';
import type { SagaState, Transition } from './types.js';

/** What caused a transition. */
export type TransitionKind = 'start' | 'reply' | 'timeout' | 'operator';

/** A trace context carrier: `traceparent` (and `tracestate`). */
export type TraceCarrier = Record<string, unknown>;

/**
 * A transition's span, started when the transition is decided and exported only once it is
 * ended: end it after the transition commits. A decision that does not commit (its saga moved
 * on meanwhile, its transaction failed, its start key was taken) is left unended and so never
 * exported; the transition decided again in its place has a span of its own.
 */
export interface TransitionSpan {
  /** The span's context, for the commands the transition sends. */
  readonly carrier: TraceCarrier;
  end(): void;
}

/**
 * Starts a transition's span ({@link TransitionSpan}: end it once the transition commits), named `saga <kind>` with `saga.id`, `saga.step` (and
 * `saga.steps_in_flight` for a stage of several commands) and `saga.status`, child of `parent`
 * (the reply's consume span, the saga's own context for a timeout or an operator action) or of
 * the active context (the checkout request). An operator action also links the operator's request. `attempt` above 1
 * marks a decision made again after a version conflict. Call only when tracing is enabled.
 */
export function traceTransition(
  kind: TransitionKind,
  sagaId: string,
  parent: TraceCarrier | undefined,
  before: SagaState | null,
  after: Transition,
  attempt = 1,
): TransitionSpan {
  // The commands in flight after the transition, or (once it awaits nothing) those it answered;
  // a stage has several, the first being `saga.step`.
  const stage = inFlight(after.state.awaiting || !before ? after.state : before);
  const step = stage[0]?.step;
  const request = trace.getSpanContext(context.active());
  const span = tracer().startSpan(
    `saga ${kind}`,
    {
      kind: SpanKind.INTERNAL,
      attributes: {
        'saga.id': sagaId,
        'saga.status': after.state.status,
        ...(step ? { 'saga.step': step } : {}),
        ...(stage.length > 1 ? { 'saga.steps_in_flight': stage.map((c) => c.step) } : {}),
        ...(after.state.awaiting ? { 'saga.phase': after.state.awaiting.phase } : {}),
        'saga.changed': after.changed,
        ...(attempt > 1 ? { 'saga.attempt': attempt } : {}),
        'messaging.message.conversation_id': sagaId,
      },
      ...(parent && request ? { links: [{ context: request }] } : {}),
    },
    parent ? contextOf(parent) : context.active(),
  );
  return { carrier: injectInto({}, span), end: () => span.end() };
}

/** The saga's own trace context, stored in its state when it started (traced sagas only). */
export function sagaTraceOf(state: SagaState | null | undefined): TraceCarrier | undefined {
  return state?.traceparent ? { traceparent: state.traceparent } : undefined;
}

/** The transition with the saga's trace context kept in its state, for later timeouts and actions. */
export function withSagaTrace(transition: Transition, carrier: TraceCarrier): Transition {
  const traceparent = carrier['traceparent'];
  if (typeof traceparent !== 'string') return transition;
  return { ...transition, state: { ...transition.state, traceparent } };
}
