// What a saga is, as data: its name, its data (a zod schema), its steps and the business keys it is found by.
import type { CommandPayload, CommandResult, CommandType } from '@sagaport/rabbitmq';
import type { z } from 'zod';

/** The compensation of a step: the command that undoes it, built from the saga's data. */
export interface CompensationDefinition<D> {
  readonly command: CommandType;
  build(data: D): unknown;
}

/**
 * One step: a command to a worker, how the command is built from the data, how a success reply
 * updates the data, how to undo it, and optionally its own deadline and send limit. Write steps
 * with the typed {@link StepBuilder} a definition's `steps` receives: the compiler then checks the
 * command's payload and the reply's result against the contracts.
 */
export interface StepDefinition<D> {
  readonly name: string;
  readonly command: CommandType;
  build(data: D): unknown;
  /** Folds the step's `succeeded` result into the saga's data (the result matches the command's reply contract). */
  onSuccess?(data: D, result: never): D;
  readonly compensation?: CompensationDefinition<D>;
  /** How long this step may take before its command is resent; the engine's default otherwise. */
  readonly timeoutMs?: number;
  /** Sends of this step's command (the first included) before the step is abandoned; the engine's default otherwise. */
  readonly maxSends?: number;
  /**
   * A refusal of this step ends the saga `rejected` (once the steps before it are compensated)
   * instead of `compensated`: the request was refused, nothing was undone that the caller asked for.
   */
  readonly refusalRejects?: boolean;
  /**
   * Once this step succeeded the saga cannot be undone (money sent back is not taken again): a
   * later step that is refused or abandoned stops the saga `failed` for an operator, who resends
   * that step with retry-step, instead of compensating. Steps after it must not refuse what
   * the steps before it accepted.
   */
  readonly irreversible?: boolean;
  /**
   * The step is sent together with the step before it, not after it: the two (and any further
   * steps marked so) form a stage whose commands are in flight at once, and the saga moves on
   * when every one of them succeeded. Mark only steps that do not need each other's results. A
   * refusal waits for the stage's other replies, then compensates what succeeded.
   */
  readonly withPrevious?: boolean;
}

/** A step as written in a definition, typed against the command's contracts. */
export interface StepSpec<D, C extends CommandType, K extends CommandType> {
  readonly name: string;
  readonly command: C;
  /**
   * The command's payload, a pure function of the saga's data: a resend (a timeout, an
   * operator's retry) builds it again rather than keeping it in the saga's state.
   */
  build(data: D): CommandPayload<C>;
  onSuccess?(data: D, result: CommandResult<C>): D;
  /** The compensating command; its `build` is a pure function of the data too. */
  readonly compensation?: { readonly command: K; build(data: D): CommandPayload<K> };
  readonly timeoutMs?: number;
  readonly maxSends?: number;
  readonly refusalRejects?: boolean;
  readonly irreversible?: boolean;
  readonly withPrevious?: boolean;
}

/** The typed `step()` helper a definition's `steps` is given. */
export type StepBuilder<D> = <C extends CommandType, K extends CommandType = never>(
  spec: StepSpec<D, C, K>,
) => StepDefinition<D>;

/**
 * A business key a saga is searchable by (order id, customer id, email): stored with the saga
 * when it starts, never changed after, indexed; the console's search matches it ignoring case.
 */
export type BusinessKeys<D> = Readonly<Record<string, KeyReader<D>>>;

/** Reads one business key from the data (method-typed, so a definition's keys fit the registry's). */
type KeyReader<D> = { read(data: D): string | undefined }['read'];

/** A saga definition: everything the engine, the admin API and the console need to run and show it. */
export interface SagaDefinition<D = unknown> {
  /** Stored in `saga.instances.saga_type`; the engine picks the definition by it. */
  readonly name: string;
  /** Validates the saga's data when it starts and each time the engine loads the saga. */
  readonly data: z.ZodType<D>;
  readonly steps: readonly StepDefinition<D>[];
  /** The business keys of a saga of this type, read from its data when it starts. */
  readonly keys: BusinessKeys<D>;
}

/** Writes a step; its command payload and reply result are checked against the contracts. */
function step<D, C extends CommandType, K extends CommandType = never>(
  spec: StepSpec<D, C, K>,
): StepDefinition<D> {
  return spec;
}

/**
 * Defines a saga. `steps` receives the typed `step()` helper:
 *
 * ```ts
 * defineSaga({ name: 'x', data: XData, keys: {...}, steps: (step) => [step({ name, command: 'order.confirm', build: (d) => ({ orderId: d.orderId }) })] })
 * ```
 */
export function defineSaga<S extends z.ZodType>(spec: {
  readonly name: string;
  readonly data: S;
  readonly keys: BusinessKeys<z.output<S>>;
  readonly steps: (step: StepBuilder<z.output<S>>) => readonly StepDefinition<z.output<S>>[];
}): SagaDefinition<z.output<S>> {
  const steps = spec.steps(step);
  if (steps.length === 0) throw new Error(`saga ${spec.name} has no steps`);
  const names = new Set(steps.map((s) => s.name));
  if (names.size !== steps.length) throw new Error(`saga ${spec.name} has two steps with one name`);
  if (steps[0]!.withPrevious) throw new Error(`saga ${spec.name}: its first step has no step before it`);
  steps.forEach((s, i) => {
    if (s.withPrevious && (s.irreversible || steps[i - 1]!.irreversible))
      throw new Error(`saga ${spec.name}: an irreversible step runs alone, not together with ${s.name}`);
  });
  return { name: spec.name, data: spec.data as z.ZodType<z.output<S>>, keys: spec.keys, steps };
}
