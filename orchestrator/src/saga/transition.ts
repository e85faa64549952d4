// The saga's pure transition function: (state, reply or timeout) → (new state, commands to send).
import type { SagaDefinition, StepDefinition } from './checkout-saga.js';
import {
  type AwaitedCommand,
  type CheckoutData,
  EventKind,
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
