// The saga's state and the results of its transitions, shared by the definition, the transition and the engine.
import type { CommandType, FailureReason } from '@sagaport/rabbitmq';

// The statuses live beside the table that stores them; the engine, the admin API and the console share them.
import { SagaStatus, terminalStatuses } from '@sagaport/db';

export { SagaStatus, terminalStatuses };

export const StepPhase = { forward: 'forward', compensation: 'compensation' } as const;
export type StepPhase = (typeof StepPhase)[keyof typeof StepPhase];

/** The command the saga waits on: a reply must name it (`x-causation-id`) to count. */
export interface AwaitedCommand {
  readonly step: string;
  readonly phase: StepPhase;
  readonly type: CommandType;
  readonly messageId: string;
  /** How many times it was sent; a timeout resends the same message id until the bound. */
  readonly sends: number;
  /**
   * The command's payload, only in states written before payloads left the state: the step
   * rebuilds it from the saga's data (see the transition's `payloadOf`).
   */
  readonly payload?: unknown;
  /** When the engine wrote the command (epoch ms); set by the engine, not the pure transition. */
  readonly sentAt?: number;
}

export interface SagaFailure extends FailureReason {
  readonly step: string;
}

/** A saga's state; `data` is its definition's data (see SagaDefinition). */
export interface SagaState<D = unknown> {
  readonly status: SagaStatus;
  readonly data: D;
  /** Forward steps that succeeded, in order. */
  readonly completed: readonly string[];
  /** Steps whose compensation is still to run, in the order they will run. */
  readonly toCompensate: readonly string[];
  /** The command awaited; in a stage of several steps, the first of those still in flight. */
  readonly awaiting: AwaitedCommand | null;
  /** The other commands of the running stage still in flight, sent with `awaiting` (absent when none). */
  readonly alongside?: readonly AwaitedCommand[];
  /**
   * Why the saga failed, or (while it is still running) why it will compensate: a step of a
   * stage refused, and the saga waits for the stage's other replies first.
   */
  readonly failure: SagaFailure | null;
  /** Set when a `refusalRejects` step refused: once compensated, the saga ends `rejected`. */
  readonly rejecting?: true;
  /** The W3C trace context of the saga's start, when tracing recorded it: timeouts and operator actions join that trace. */
  readonly traceparent?: string;
}

/** A command the engine must write to the outbox. */
export interface PlannedCommand {
  readonly type: CommandType;
  readonly messageId: string;
  readonly payload: unknown;
}

/** What a transition did, for the saga's event log (the console's timeline). */
export const EventKind = {
  started: 'saga.started',
  stepSucceeded: 'step.succeeded',
  stepRefused: 'step.refused',
  stepTimedOut: 'step.timed-out',
  commandResent: 'command.resent',
  compensationSucceeded: 'compensation.succeeded',
  compensationFailed: 'compensation.failed',
  replyReceived: 'reply.received',
  replyIgnored: 'reply.ignored',
  commandSent: 'command.sent',
  completed: 'saga.completed',
  compensated: 'saga.compensated',
  rejected: 'saga.rejected',
  failed: 'saga.failed',
  /** An operator resent the awaited command, or re-issued the compensation that failed. */
  operatorRetryStep: 'operator.retry-step',
  /** An operator abandoned the running step and started compensation. */
  operatorCompensate: 'operator.compensate',
} as const;
export type EventKind = (typeof EventKind)[keyof typeof EventKind];

export interface TransitionEvent {
  readonly kind: EventKind;
  readonly detail?: unknown;
  readonly messageType?: string;
  readonly messageId?: string;
}

export interface Transition<D = unknown> {
  readonly state: SagaState<D>;
  readonly commands: readonly PlannedCommand[];
  /** What happened, in order; the engine adds one `command.sent` per command. */
  readonly events: readonly TransitionEvent[];
  /** False when nothing changed (a duplicate or late reply); the engine then only logs. */
  readonly changed: boolean;
}

/** A reply as the transition sees it: its type, the command it answers, and its outcome. */
export interface ReplyInput {
  readonly type: string;
  readonly messageId: string;
  readonly causationId: string | undefined;
  readonly body:
    | { readonly outcome: 'succeeded'; readonly result: Readonly<Record<string, unknown>> }
    | { readonly outcome: 'failed'; readonly reason: FailureReason };
}

/** What an operator can ask of a saga from the console. */
export const OperatorAction = { retryStep: 'retry-step', compensate: 'compensate' } as const;
export type OperatorAction = (typeof OperatorAction)[keyof typeof OperatorAction];

/** An operator action either applies (and moves the saga) or does not, with the reason why. */
export type OperatorDecision<D = unknown> =
  | { readonly applicable: true; readonly transition: Transition<D> }
  | { readonly applicable: false; readonly reason: string };
