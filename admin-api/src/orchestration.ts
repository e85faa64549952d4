// What the admin API needs from the process that orchestrates sagas: the operator actions, the registered sagas, projection rebuilds.
import type { Transaction } from '@sagaport/db';
import type { Projection, RebuildStatus } from '@sagaport/runtime';
import type postgres from 'postgres';

// The statuses live beside the table that stores them (`@sagaport/db`), shared with the engine.
import { SagaStatus, terminalStatuses } from '@sagaport/db';

export { SagaStatus, terminalStatuses };

/** What an operator can ask of a saga from the console. */
export const OperatorAction = { retryStep: 'retry-step', compensate: 'compensate' } as const;
export type OperatorAction = (typeof OperatorAction)[keyof typeof OperatorAction];

/** The command a saga waits on, as its stored state names it. */
export interface AwaitedCommandView {
  readonly step: string;
  readonly phase: 'forward' | 'compensation';
  readonly type: string;
  readonly messageId: string;
}

/** The part of a saga's stored state (`saga_instances.state`) the admin API reads. */
export interface SagaStateView {
  readonly status: SagaStatus;
  readonly awaiting: AwaitedCommandView | null;
  /** The other commands of a stage in flight with `awaiting` (absent when none). */
  readonly alongside?: readonly AwaitedCommandView[];
}

/**
 * Whether the saga still waits for the reply to the command `messageId` (awaited, or in flight
 * alongside); an ended saga waits for nothing, whatever its state still names.
 */
export function waitsFor(state: SagaStateView | undefined, messageId: string): boolean {
  if (!state || terminalStatuses.includes(state.status)) return false;
  return [state.awaiting, ...(state.alongside ?? [])].some((c) => c?.messageId === messageId);
}

/** Runs in the transaction of an operator action, with the saga's state after and before it (the audit row). */
export type AlsoRecord = (tx: Transaction, after: SagaStateView, before: SagaStateView) => Promise<void>;

/** An operator action either applied (and moved the saga) or did not, with the reason why. */
export type OperatorDecision =
  { readonly applicable: true } | { readonly applicable: false; readonly reason: string };

/**
 * The operator actions the admin API offers on a saga, carried out by the orchestrator's saga
 * engine: the admin API reaches the engine through this interface only.
 */
export interface OperatorActions {
  /**
   * Applies `action` to saga `sagaId` for `actor` (an email); `alsoRecord` runs in the same
   * transaction as the saga's transition. Says why not when the action does not apply to the
   * saga's state.
   */
  apply(
    sagaId: string,
    action: OperatorAction,
    actor: string,
    alsoRecord: AlsoRecord,
  ): Promise<OperatorDecision>;
}

/** A registered saga definition, as the admin API lists it and filters by it. */
export interface SagaCatalogEntry {
  /** The saga type. */
  readonly name: string;
  /** Its steps in order: the command each sends and the command that undoes it, if any. */
  readonly steps: readonly {
    readonly name: string;
    readonly command: string;
    readonly compensation: string | null;
  }[];
  /** The business keys a saga of this type is searchable by. */
  readonly keys: readonly string[];
}

/** The sagas the orchestrator runs, in registration order. */
export interface SagaCatalog {
  readonly definitions: readonly SagaCatalogEntry[];
}

/** Every saga type of `catalog`. */
export function sagaTypeNames(catalog: SagaCatalog): string[] {
  return catalog.definitions.map((d) => d.name);
}

/** Every step name of every definition of `catalog`, each once. */
export function stepNames(catalog: SagaCatalog): string[] {
  return [...new Set(catalog.definitions.flatMap((d) => d.steps.map((s) => s.name)))];
}

/** Every business key name of every definition of `catalog`, each once. */
export function keyNames(catalog: SagaCatalog): string[] {
  return [...new Set(catalog.definitions.flatMap((d) => d.keys))];
}

/** Runs projection rebuilds in the background for operators (the orchestrator's launcher). */
export interface ProjectionRebuilds {
  /**
   * Claims and starts a rebuild of `projection` (throws `RebuildAlreadyRunning` if one runs);
   * `onClaimed` runs in the claim's transaction. Returns the progress at the start.
   */
  start(
    projection: Projection,
    startedBy: string,
    onClaimed?: (tx: postgres.TransactionSql, status: RebuildStatus) => Promise<unknown>,
  ): Promise<RebuildStatus>;
}
