// The saga's pure transition function: (state, reply or timeout) → (new state, commands to send).
import type { SagaDefinition, StepDefinition } from './checkout-saga.js';
import {
  type AwaitedCommand,
  type CheckoutData,
  EventKind,
  OperatorAction,
  type OperatorDecision,
  type ReplyInput,
  type SagaFailure,
  type SagaState,
  SagaStatus,
  StepPhase,
  terminalStatuses,
  type Transition,
  type TransitionEvent,
} from './types.js';

/** Makes message ids; injected so transitions stay pure and tests deterministic. */
export type IdSource = () => string;

function stepNamed(definition: SagaDefinition, name: string): StepDefinition {
  const step = definition.steps.find((s) => s.name === name);
  if (!step) throw new Error(`saga ${definition.name} has no step "${name}"`);
  return step;
}

function send(state: SagaState, awaiting: AwaitedCommand, events: TransitionEvent[]): Transition {
  return {
    state: { ...state, awaiting },
    commands: [{ type: awaiting.type, messageId: awaiting.messageId, payload: awaiting.payload }],
    events,
    changed: true,
  };
}

function forward(step: StepDefinition, data: CheckoutData, newId: IdSource): AwaitedCommand {
  return {
    step: step.name,
    phase: StepPhase.forward,
    type: step.command,
    messageId: newId(),
    sends: 1,
    payload: step.build(data),
  };
}

/** Starts a saga: the first step's command. */
export function startSaga(definition: SagaDefinition, data: CheckoutData, newId: IdSource): Transition {
  const first = definition.steps[0];
  if (!first) throw new Error(`saga ${definition.name} has no steps`);
  const state: SagaState = {
    status: SagaStatus.running,
    data,
    completed: [],
    toCompensate: [],
    awaiting: null,
    failure: null,
  };
  return send(state, forward(first, data, newId), [{ kind: EventKind.started }]);
}

/** Runs the next compensation in `toCompensate`, or ends the saga as compensated. */
function compensateNext(
  definition: SagaDefinition,
  state: SagaState,
  events: TransitionEvent[],
  newId: IdSource,
): Transition {
  const [next, ...rest] = state.toCompensate;
  if (next === undefined) {
    const ended: SagaState = { ...state, status: SagaStatus.compensated, toCompensate: [], awaiting: null };
    return {
      state: ended,
      commands: [],
      events: [...events, { kind: EventKind.compensated }],
      changed: true,
    };
  }
  const compensation = stepNamed(definition, next).compensation!;
  const awaiting: AwaitedCommand = {
    step: next,
    phase: StepPhase.compensation,
    type: compensation.command,
    messageId: newId(),
    sends: 1,
    payload: compensation.build(state.data),
  };
  return send({ ...state, status: SagaStatus.compensating, toCompensate: rest }, awaiting, events);
}

/** Starts compensating `steps` (newest first), keeping only those that have a compensation. */
function beginCompensation(
  definition: SagaDefinition,
  state: SagaState,
  steps: readonly string[],
  failure: SagaFailure,
  events: TransitionEvent[],
  newId: IdSource,
): Transition {
  const toCompensate = [...steps].reverse().filter((name) => stepNamed(definition, name).compensation);
  return compensateNext(definition, { ...state, failure, toCompensate }, events, newId);
}

function ignored(state: SagaState, reason: string, reply: ReplyInput): Transition {
  return {
    state,
    commands: [],
    events: [
      { kind: EventKind.replyIgnored, detail: { reason, type: reply.type, messageId: reply.messageId } },
    ],
    changed: false,
  };
}

/**
 * Applies a reply. Only the reply to the awaited command (its type, and `x-causation-id` equal
 * to the awaited message id) moves the saga; a duplicate or late reply changes nothing.
 */
export function applyReply(
  definition: SagaDefinition,
  state: SagaState,
  reply: ReplyInput,
  newId: IdSource,
): Transition {
  const awaiting = state.awaiting;
  if (terminalStatuses.includes(state.status) || !awaiting) return ignored(state, 'saga has ended', reply);
  if (reply.type !== `${awaiting.type}.reply` || reply.causationId !== awaiting.messageId) {
    return ignored(state, `not the reply to the awaited ${awaiting.type}`, reply);
  }
  const step = stepNamed(definition, awaiting.step);
  const body = reply.body;
  if (awaiting.phase === StepPhase.compensation) {
    if (body.outcome === 'failed') {
      const failure: SagaFailure = {
        step: step.name,
        code: 'compensation_failed',
        message: `${awaiting.type}: ${body.reason.message}`,
      };
      const ended: SagaState = { ...state, status: SagaStatus.failed, awaiting: null, failure };
      const events = [
        { kind: EventKind.compensationFailed, detail: body.reason },
        { kind: EventKind.failed, detail: failure },
      ];
      return { state: ended, commands: [], events, changed: true };
    }
    return compensateNext(
      definition,
      state,
      [{ kind: EventKind.compensationSucceeded, detail: { step: step.name } }],
      newId,
    );
  }
  if (body.outcome === 'failed') {
    const failure: SagaFailure = { step: step.name, ...body.reason };
    const events = [{ kind: EventKind.stepRefused, detail: failure }];
    return beginCompensation(definition, state, state.completed, failure, events, newId);
  }
  const data = step.onSuccess ? step.onSuccess(state.data, body.result) : state.data;
  const completed = [...state.completed, step.name];
  const events: TransitionEvent[] = [
    { kind: EventKind.stepSucceeded, detail: { step: step.name, result: body.result } },
  ];
  const nextStep = definition.steps[definition.steps.indexOf(step) + 1];
  if (!nextStep) {
    const ended: SagaState = { ...state, data, completed, status: SagaStatus.completed, awaiting: null };
    return { state: ended, commands: [], events: [...events, { kind: EventKind.completed }], changed: true };
  }
  return send({ ...state, data, completed }, forward(nextStep, data, newId), events);
}

/**
 * Applies a missed deadline: resend the same message id while `sends < maxSends`; then a forward
 * step is abandoned and compensated — itself included, since its effect is unknown — and an
 * unanswered compensation fails the saga for an operator.
 */
export function applyTimeout(
  definition: SagaDefinition,
  state: SagaState,
  maxSends: number,
  newId: IdSource,
): Transition {
  const awaiting = state.awaiting;
  if (terminalStatuses.includes(state.status) || !awaiting)
    return { state, commands: [], events: [], changed: false };
  if (awaiting.sends < maxSends) {
    const resent = { ...awaiting, sends: awaiting.sends + 1 };
    return send(state, resent, [
      { kind: EventKind.commandResent, detail: { type: awaiting.type, sends: resent.sends } },
    ]);
  }
  const message = `no reply to ${awaiting.type} after ${awaiting.sends} sends`;
  const failure: SagaFailure = { step: awaiting.step, code: 'step_timeout', message };
  const events: TransitionEvent[] = [{ kind: EventKind.stepTimedOut, detail: failure }];
  if (awaiting.phase === StepPhase.compensation) {
    const ended: SagaState = { ...state, status: SagaStatus.failed, awaiting: null, failure };
    return {
      state: ended,
      commands: [],
      events: [...events, { kind: EventKind.failed, detail: failure }],
      changed: true,
    };
  }
  return beginCompensation(definition, state, [...state.completed, awaiting.step], failure, events, newId);
}

const applies = (transition: Transition): OperatorDecision => ({ applicable: true, transition });
const refused = (reason: string): OperatorDecision => ({ applicable: false, reason });

function retryRefusal(state: SagaState): string {
  switch (state.status) {
    case SagaStatus.completed:
      return 'the saga is completed: every step succeeded, so there is no step to retry';
    case SagaStatus.compensated:
      return 'the saga is compensated: every compensation finished, so there is no step to retry';
    case SagaStatus.failed:
      return 'the saga failed without a compensation left to re-issue';
    default:
      return `the saga is ${state.status} but awaits no command`;
  }
}

/**
 * Operator "retry step". A running or compensating saga resends its awaited command with the
 * same message id (a worker that already handled it answers from its inbox), one more send and
 * a new deadline. A failed saga (a compensation could not finish) re-issues that compensation
 * with a new message id and then runs the remaining compensations as usual.
 */
export function retryStep(
  definition: SagaDefinition,
  state: SagaState,
  actor: string,
  newId: IdSource,
): OperatorDecision {
  const { awaiting, failure } = state;
  const active = state.status === SagaStatus.running || state.status === SagaStatus.compensating;
  if (active && awaiting) {
    const resent = { ...awaiting, sends: awaiting.sends + 1 };
    const detail = {
      actor,
      step: awaiting.step,
      type: awaiting.type,
      messageId: awaiting.messageId,
      sends: resent.sends,
    };
    return applies(send(state, resent, [{ kind: EventKind.operatorRetryStep, detail }]));
  }
  const compensation = failure && definition.steps.find((s) => s.name === failure.step)?.compensation;
  if (state.status === SagaStatus.failed && failure && compensation) {
    const detail = { actor, step: failure.step, type: compensation.command, failure };
    const retried = { ...state, toCompensate: [failure.step, ...state.toCompensate] };
    return applies(
      compensateNext(definition, retried, [{ kind: EventKind.operatorRetryStep, detail }], newId),
    );
  }
  return refused(retryRefusal(state));
}

function compensateRefusal(state: SagaState): string {
  switch (state.status) {
    case SagaStatus.compensating:
      return `the saga is compensating already (awaiting ${state.awaiting?.type ?? 'nothing'}); use retry-step to resend that compensation`;
    case SagaStatus.failed:
      return `the saga failed while compensating ${state.failure?.step ?? 'a step'}; use retry-step to re-issue that compensation`;
    case SagaStatus.completed:
      return 'the saga is completed: every step succeeded, so there is nothing left to abandon';
    case SagaStatus.compensated:
      return 'the saga is compensated already';
    default:
      return `the saga is ${state.status} but awaits no command`;
  }
}

/**
 * Operator "compensate": a saga in its forward phase abandons the awaited step and compensates
 * every completed step plus that one (its effect is unknown), newest first.
 */
export function compensateSaga(
  definition: SagaDefinition,
  state: SagaState,
  actor: string,
  newId: IdSource,
): OperatorDecision {
  const awaiting = state.awaiting;
  if (state.status !== SagaStatus.running || awaiting?.phase !== StepPhase.forward) {
    return refused(compensateRefusal(state));
  }
  const failure: SagaFailure = {
    step: awaiting.step,
    code: 'operator_compensated',
    message: `${actor} abandoned ${awaiting.type} and compensated the saga`,
  };
  const detail = { actor, step: awaiting.step, type: awaiting.type, messageId: awaiting.messageId };
  const events: TransitionEvent[] = [{ kind: EventKind.operatorCompensate, detail }];
  return applies(
    beginCompensation(definition, state, [...state.completed, awaiting.step], failure, events, newId),
  );
}

/** Applies `action` on behalf of `actor` (an email, kept in the event's detail). */
export function applyOperatorAction(
  definition: SagaDefinition,
  state: SagaState,
  action: OperatorAction,
  actor: string,
  newId: IdSource,
): OperatorDecision {
  return action === OperatorAction.retryStep
    ? retryStep(definition, state, actor, newId)
    : compensateSaga(definition, state, actor, newId);
}
