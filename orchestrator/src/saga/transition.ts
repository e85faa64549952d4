// The saga's pure transition function: (state, reply or timeout) → (new state, commands to send).
import type { SagaDefinition, StepDefinition } from './definition.js';
import {
  type AwaitedCommand,
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

/** The failure code of a saga stopped because a step after an irreversible one was refused or abandoned. */
export const PAST_IRREVERSIBLE = 'past_irreversible_step';

/** The first of `steps` (about to be compensated) that cannot be undone, if any. */
function irreversibleAmong<D>(definition: SagaDefinition<D>, steps: readonly string[]): string | undefined {
  return steps.find((name) => stepNamed(definition, name).irreversible);
}

function stepNamed<D>(definition: SagaDefinition<D>, name: string): StepDefinition<D> {
  const step = definition.steps.find((s) => s.name === name);
  if (!step) throw new Error(`saga ${definition.name} has no step "${name}"`);
  return step;
}

/** The steps of the stage that begins at `index`: that step and the ones after it marked `withPrevious`. */
function stageAt<D>(definition: SagaDefinition<D>, index: number): StepDefinition<D>[] {
  const first = definition.steps[index];
  if (!first) return [];
  const stage = [first];
  for (let i = index + 1; definition.steps[i]?.withPrevious; i += 1) stage.push(definition.steps[i]!);
  return stage;
}

/** The index of the first step of the stage that holds the step named `name`. */
function stageStart<D>(definition: SagaDefinition<D>, name: string): number {
  let index = definition.steps.indexOf(stepNamed(definition, name));
  while (definition.steps[index]?.withPrevious) index -= 1;
  return index;
}

/** The commands in flight: the awaited one and those sent alongside it. */
export function inFlight(state: SagaState<unknown>): AwaitedCommand[] {
  return state.awaiting ? [state.awaiting, ...(state.alongside ?? [])] : [];
}

/** `state` with exactly `commands` in flight (the first one awaited, the rest alongside). */
function withInFlight<D>(state: SagaState<D>, commands: readonly AwaitedCommand[]): SagaState<D> {
  const { alongside: _alongside, ...rest } = state;
  const [awaiting = null, ...others] = commands;
  return others.length > 0 ? { ...rest, awaiting, alongside: others } : { ...rest, awaiting };
}

/** `names` in the order of the definition's steps (a stage's replies arrive in any order). */
function inStepOrder<D>(definition: SagaDefinition<D>, names: readonly string[]): string[] {
  return definition.steps.map((s) => s.name).filter((name) => names.includes(name));
}

/**
 * The payload of the awaited command. A step builds it from the saga's data, which does not
 * change while the command is awaited, so a resend rebuilds the same payload and the state does
 * not carry it (it is in the event log's `command.sent` row and the outbox); a state written
 * when it still carried its payload resends that.
 */
function payloadOf<D>(definition: SagaDefinition<D>, data: D, awaiting: AwaitedCommand): unknown {
  if (awaiting.payload !== undefined) return awaiting.payload;
  const step = stepNamed(definition, awaiting.step);
  if (awaiting.phase === StepPhase.forward) return step.build(data);
  if (!step.compensation) throw new Error(`saga ${definition.name}: step "${step.name}" has no compensation`);
  return step.compensation.build(data);
}

/** Sends `commands` (a stage's, or resends of those in flight): they become the commands in flight. */
function send<D>(
  definition: SagaDefinition<D>,
  state: SagaState<D>,
  commands: readonly AwaitedCommand[],
  events: TransitionEvent[],
): Transition<D> {
  return {
    state: withInFlight(state, commands),
    commands: commands.map((c) => ({
      type: c.type,
      messageId: c.messageId,
      payload: payloadOf(definition, state.data, c),
    })),
    events,
    changed: true,
  };
}

/** The state ends (or stops for an operator) with nothing in flight. */
function settled<D>(state: SagaState<D>, status: SagaStatus, failure = state.failure): SagaState<D> {
  return { ...withInFlight(state, []), status, failure };
}

function forward<D>(step: StepDefinition<D>, newId: IdSource): AwaitedCommand {
  return { step: step.name, phase: StepPhase.forward, type: step.command, messageId: newId(), sends: 1 };
}

/** Starts a saga: the first step's command. */
export function startSaga<D>(definition: SagaDefinition<D>, data: D, newId: IdSource): Transition<D> {
  const first = definition.steps[0];
  if (!first) throw new Error(`saga ${definition.name} has no steps`);
  const state: SagaState<D> = {
    status: SagaStatus.running,
    data,
    completed: [],
    toCompensate: [],
    awaiting: null,
    failure: null,
  };
  const stage = stageAt(definition, 0).map((step) => forward(step, newId));
  return send(definition, state, stage, [{ kind: EventKind.started }]);
}

/** Runs the next compensation in `toCompensate`, or ends the saga as compensated (or rejected). */
function compensateNext<D>(
  definition: SagaDefinition<D>,
  state: SagaState<D>,
  events: TransitionEvent[],
  newId: IdSource,
): Transition<D> {
  const [next, ...rest] = state.toCompensate;
  if (next === undefined) {
    const status = state.rejecting ? SagaStatus.rejected : SagaStatus.compensated;
    const ended: SagaState<D> = { ...settled(state, status), toCompensate: [] };
    const kind = state.rejecting ? EventKind.rejected : EventKind.compensated;
    return { state: ended, commands: [], events: [...events, { kind }], changed: true };
  }
  const compensation = stepNamed(definition, next).compensation!;
  const awaiting: AwaitedCommand = {
    step: next,
    phase: StepPhase.compensation,
    type: compensation.command,
    messageId: newId(),
    sends: 1,
  };
  return send(
    definition,
    { ...state, status: SagaStatus.compensating, toCompensate: rest },
    [awaiting],
    events,
  );
}

/** Starts compensating `steps` (newest first), keeping only those that have a compensation. */
function beginCompensation<D>(
  definition: SagaDefinition<D>,
  state: SagaState<D>,
  steps: readonly string[],
  failure: SagaFailure,
  events: TransitionEvent[],
  newId: IdSource,
): Transition<D> {
  const pivot = irreversibleAmong(definition, steps);
  if (pivot) {
    // Past an irreversible step (or abandoning one, whose effect is unknown) there is no way back: stop for an operator, who retries the step.
    const stopped: SagaFailure = {
      step: failure.step,
      code: PAST_IRREVERSIBLE,
      message: `${failure.message}; ${pivot} cannot be undone, so the saga stops here: retry-step resends ${failure.step}`,
    };
    const ended = settled(state, SagaStatus.failed, stopped);
    return {
      state: ended,
      commands: [],
      events: [...events, { kind: EventKind.failed, detail: stopped }],
      changed: true,
    };
  }
  const toCompensate = inStepOrder(definition, steps)
    .reverse()
    .filter((name) => stepNamed(definition, name).compensation);
  return compensateNext(definition, { ...state, failure, toCompensate }, events, newId);
}

function ignored<D>(state: SagaState<D>, reason: string, reply: ReplyInput): Transition<D> {
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
 * Applies a reply. Only the reply to a command in flight (its type, and `x-causation-id` equal to
 * that command's message id) moves the saga; a duplicate or late reply changes nothing. In a
 * stage of several steps the saga moves on once every command of the stage has answered: to the
 * next stage when all succeeded, to compensation (of the steps that succeeded) when one refused.
 */
export function applyReply<D>(
  definition: SagaDefinition<D>,
  state: SagaState<D>,
  reply: ReplyInput,
  newId: IdSource,
): Transition<D> {
  const flights = inFlight(state);
  if (terminalStatuses.includes(state.status) || flights.length === 0)
    return ignored(state, 'saga has ended', reply);
  const awaiting = flights.find((c) => reply.type === `${c.type}.reply` && reply.causationId === c.messageId);
  if (!awaiting) {
    const awaited = flights.map((c) => c.type).join(' or ');
    return ignored(state, `not the reply to the awaited ${awaited}`, reply);
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
      const ended = settled(state, SagaStatus.failed, failure);
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
  const others = flights.filter((c) => c !== awaiting);
  if (body.outcome === 'failed') {
    const refusal: SagaFailure = { step: step.name, ...body.reason };
    const events = [{ kind: EventKind.stepRefused, detail: refusal }];
    // The first refusal of a stage is the saga's failure; later ones are in the event log.
    const failure = state.failure ?? refusal;
    // Only the refusal that is the saga's failure decides whether it ends `rejected`.
    const refusing = step.refusalRejects && !state.failure ? { ...state, rejecting: true as const } : state;
    if (others.length > 0) {
      return { state: withInFlight({ ...refusing, failure }, others), commands: [], events, changed: true };
    }
    return beginCompensation(definition, refusing, state.completed, failure, events, newId);
  }
  const data = step.onSuccess ? step.onSuccess(state.data, body.result as never) : state.data;
  const completed = inStepOrder(definition, [...state.completed, step.name]);
  const events: TransitionEvent[] = [
    { kind: EventKind.stepSucceeded, detail: { step: step.name, result: body.result } },
  ];
  const progressed: SagaState<D> = { ...state, data, completed };
  if (others.length > 0)
    return { state: withInFlight(progressed, others), commands: [], events, changed: true };
  if (state.failure)
    return beginCompensation(definition, progressed, completed, state.failure, events, newId);
  // A stage's step not done yet (an operator resent the one that stopped the saga): it goes now.
  const start = stageStart(definition, step.name);
  const stage = stageAt(definition, start);
  const missing = stage.filter((s) => !completed.includes(s.name));
  if (missing.length > 0) {
    return send(
      definition,
      progressed,
      missing.map((s) => forward(s, newId)),
      events,
    );
  }
  const next = stageAt(definition, start + stage.length);
  if (next.length === 0) {
    const ended = settled(progressed, SagaStatus.completed);
    return { state: ended, commands: [], events: [...events, { kind: EventKind.completed }], changed: true };
  }
  return send(
    definition,
    progressed,
    next.map((s) => forward(s, newId)),
    events,
  );
}

/**
 * Applies a missed deadline: resend the commands in flight, each with its own message id, while
 * every one of them is under its send limit; then the forward steps in flight are abandoned and
 * compensated — themselves included, since their effect is unknown — and an unanswered
 * compensation fails the saga for an operator.
 */
export function applyTimeout<D>(
  definition: SagaDefinition<D>,
  state: SagaState<D>,
  defaultMaxSends: number,
  newId: IdSource,
): Transition<D> {
  const flights = inFlight(state);
  if (terminalStatuses.includes(state.status) || flights.length === 0)
    return { state, commands: [], events: [], changed: false };
  const maxSends = (c: AwaitedCommand) =>
    definition.steps.find((s) => s.name === c.step)?.maxSends ?? defaultMaxSends;
  const exhausted = flights.find((c) => c.sends >= maxSends(c));
  if (!exhausted) {
    const resent = flights.map((c) => ({ ...c, sends: c.sends + 1 }));
    const events = resent.map((c) => ({
      kind: EventKind.commandResent,
      detail: { type: c.type, sends: c.sends },
    }));
    return send(definition, state, resent, events);
  }
  const message = `no reply to ${exhausted.type} after ${exhausted.sends} sends`;
  const failure: SagaFailure = { step: exhausted.step, code: 'step_timeout', message };
  const events: TransitionEvent[] = [{ kind: EventKind.stepTimedOut, detail: failure }];
  if (exhausted.phase === StepPhase.compensation) {
    const ended = settled(state, SagaStatus.failed, failure);
    return {
      state: ended,
      commands: [],
      events: [...events, { kind: EventKind.failed, detail: failure }],
      changed: true,
    };
  }
  const abandoned = [...state.completed, ...flights.map((c) => c.step)];
  return beginCompensation(definition, state, abandoned, state.failure ?? failure, events, newId);
}

const applies = <D>(transition: Transition<D>): OperatorDecision<D> => ({ applicable: true, transition });
const refused = <D>(reason: string): OperatorDecision<D> => ({ applicable: false, reason });

function retryRefusal(state: SagaState): string {
  switch (state.status) {
    case SagaStatus.completed:
      return 'the saga is completed: every step succeeded, so there is no step to retry';
    case SagaStatus.compensated:
      return 'the saga is compensated: every compensation finished, so there is no step to retry';
    case SagaStatus.failed:
      return 'the saga failed without a compensation left to re-issue';
    case SagaStatus.rejected:
      return 'the saga was rejected: a step refused the request, so there is no step to retry';
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
export function retryStep<D>(
  definition: SagaDefinition<D>,
  state: SagaState<D>,
  actor: string,
  newId: IdSource,
): OperatorDecision<D> {
  const { awaiting, failure } = state;
  const active = state.status === SagaStatus.running || state.status === SagaStatus.compensating;
  if (active && awaiting) {
    const resent = inFlight(state).map((c) => ({ ...c, sends: c.sends + 1 }));
    const events = resent.map((c) => ({
      kind: EventKind.operatorRetryStep,
      detail: { actor, step: c.step, type: c.type, messageId: c.messageId, sends: c.sends },
    }));
    return applies(send(definition, state, resent, events));
  }
  if (state.status === SagaStatus.failed && failure?.code === PAST_IRREVERSIBLE) {
    // Stopped past an irreversible step: resend the refused or abandoned forward step, afresh
    // (with any other step of its stage that did not succeed).
    const step = stepNamed(definition, failure.step);
    const detail = { actor, step: step.name, type: step.command, failure };
    const running: SagaState<D> = { ...state, status: SagaStatus.running, failure: null };
    const stage = stageAt(definition, stageStart(definition, step.name));
    const resend = stage.filter((s) => s === step || !state.completed.includes(s.name));
    return applies(
      send(
        definition,
        running,
        resend.map((s) => forward(s, newId)),
        [{ kind: EventKind.operatorRetryStep, detail }],
      ),
    );
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
    case SagaStatus.rejected:
      return 'the saga was rejected already: nothing was changed, so there is nothing to compensate';
    default:
      return `the saga is ${state.status} but awaits no command`;
  }
}

/**
 * Operator "compensate": a saga in its forward phase abandons the awaited step and compensates
 * every completed step plus that one (its effect is unknown), newest first.
 */
export function compensateSaga<D>(
  definition: SagaDefinition<D>,
  state: SagaState<D>,
  actor: string,
  newId: IdSource,
): OperatorDecision<D> {
  const awaiting = state.awaiting;
  if (state.status !== SagaStatus.running || awaiting?.phase !== StepPhase.forward) {
    return refused(compensateRefusal(state));
  }
  const flights = inFlight(state);
  const abandoned = [...state.completed, ...flights.map((c) => c.step)];
  const pivot = irreversibleAmong(definition, abandoned);
  if (pivot) {
    return refused(
      `${pivot} cannot be undone and the saga has reached it; use retry-step to resend ${awaiting.type}`,
    );
  }
  const types = flights.map((c) => c.type).join(' and ');
  const failure: SagaFailure = {
    step: awaiting.step,
    code: 'operator_compensated',
    message: `${actor} abandoned ${types} and compensated the saga`,
  };
  const detail = { actor, step: awaiting.step, type: awaiting.type, messageId: awaiting.messageId };
  const events: TransitionEvent[] = [{ kind: EventKind.operatorCompensate, detail }];
  return applies(beginCompensation(definition, state, abandoned, failure, events, newId));
}

/** Applies `action` on behalf of `actor` (an email, kept in the event's detail). */
export function applyOperatorAction<D>(
  definition: SagaDefinition<D>,
  state: SagaState<D>,
  action: OperatorAction,
  actor: string,
  newId: IdSource,
): OperatorDecision<D> {
  return action === OperatorAction.retryStep
    ? retryStep(definition, state, actor, newId)
    : compensateSaga(definition, state, actor, newId);
}
