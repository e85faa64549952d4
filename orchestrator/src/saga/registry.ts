// The registry of saga definitions: the engine runs each by the row's saga_type; the admin API, console and metrics list them.
import { PermanentError } from '@sagaport/rabbitmq';
import type { SagaDefinition, StepDefinition } from './definition.js';
import { type SagaState, SagaStatus } from './types.js';

const statuses = new Set<string>(Object.values(SagaStatus));

/** A step with what the engine needs at every transition resolved once: its deadline and send limit. */
interface ResolvedStep {
  readonly step: StepDefinition<unknown>;
  readonly timeoutMs: number | undefined;
  readonly maxSends: number | undefined;
}

/** Saga definitions by name. */
export class SagaRegistry {
  private readonly definitions = new Map<string, SagaDefinition>();
  private readonly steps = new Map<string, Map<string, ResolvedStep>>();

  /** Adds a definition; its name must be new. Returns the registry. */
  register<D>(definition: SagaDefinition<D>): this {
    if (this.definitions.has(definition.name))
      throw new Error(`saga ${definition.name} is registered already`);
    const generic = definition as unknown as SagaDefinition;
    this.definitions.set(definition.name, generic);
    this.steps.set(
      definition.name,
      new Map(
        generic.steps.map((step) => [
          step.name,
          { step, timeoutMs: step.timeoutMs, maxSends: step.maxSends },
        ]),
      ),
    );
    return this;
  }

  /** The definition named `name`; throws a PermanentError for a type no definition is registered for. */
  get(name: string): SagaDefinition {
    const definition = this.definitions.get(name);
    if (!definition) throw new PermanentError(`no saga definition "${name}" is registered`);
    return definition;
  }

  has(name: string): boolean {
    return this.definitions.has(name);
  }

  /** Every definition, in registration order. */
  all(): readonly SagaDefinition[] {
    return [...this.definitions.values()];
  }

  /** Every registered saga type. */
  names(): string[] {
    return [...this.definitions.keys()];
  }

  /** Every step name of every definition, each once. */
  stepNames(): string[] {
    return [...new Set(this.all().flatMap((d) => d.steps.map((s) => s.name)))];
  }

  /** Every business key name of every definition, each once. */
  keyNames(): string[] {
    return [...new Set(this.all().flatMap((d) => Object.keys(d.keys)))];
  }

  /** The deadline of `step` of saga `type`, or `fallback` when the step sets none. */
  timeoutOf(type: string, step: string, fallback: number): number {
    return this.steps.get(type)?.get(step)?.timeoutMs ?? fallback;
  }

  /** The send limit of `step` of saga `type`, or `fallback` when the step sets none. */
  maxSendsOf(type: string, step: string, fallback: number): number {
    return this.steps.get(type)?.get(step)?.maxSends ?? fallback;
  }

  /** The business keys of a new saga of `type` with `data`, the keys a definition leaves undefined omitted. */
  keysOf(type: string, data: unknown): Record<string, string> {
    const keys: Record<string, string> = {};
    for (const [name, read] of Object.entries(this.get(type).keys)) {
      const value = read(data);
      if (value !== undefined) keys[name] = value;
    }
    return keys;
  }

  /**
   * Reads a stored state of a saga of `type`: the envelope is checked by hand (cheap) and the data
   * with the definition's schema. A state that does not parse is a PermanentError naming why.
   */
  parseState(type: string, stored: unknown): SagaState {
    const definition = this.get(type);
    const state = stored as SagaState | null;
    if (
      typeof state !== 'object' ||
      state === null ||
      !statuses.has(state.status) ||
      !Array.isArray(state.completed) ||
      !Array.isArray(state.toCompensate) ||
      state.awaiting === undefined
    ) {
      throw new PermanentError(`the stored state of a ${type} saga is not a saga state`);
    }
    const data = definition.data.safeParse(state.data);
    if (!data.success) {
      const issue = data.error.issues[0];
      throw new PermanentError(
        `the stored data of a ${type} saga does not match its definition: ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? 'invalid'}`,
      );
    }
    return { ...state, data: data.data };
  }
}
