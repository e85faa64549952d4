// The admin API's way into the saga engine: its operator actions and the registered sagas, and nothing else of the engine.
import type {
  OperatorActions,
  OperatorAction as AdminOperatorAction,
  SagaCatalog,
} from '@sagaport/admin-api';
import type { SagaEngine } from './engine.js';
import type { SagaRegistry } from './registry.js';
import type { OperatorAction } from './types.js';

// The admin API declares the actions it offers; they must stay the engine's (the statuses both
// take from @sagaport/db).
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : never) : never;
const _sameActions: Same<OperatorAction, AdminOperatorAction> = true;

/** The operator actions the admin API calls, carried out by `engine` (the action and its audit row in one transaction). */
export function operatorActionsOf(engine: SagaEngine): OperatorActions {
  return {
    async apply(sagaId, action, actor, alsoRecord) {
      const decision = await engine.operatorAction(sagaId, action, actor, (tx, transition, before) =>
        alsoRecord(tx, transition.state, before),
      );
      return decision.applicable ? { applicable: true } : { applicable: false, reason: decision.reason };
    },
  };
}

/** The registered sagas as the admin API lists and filters them: types, steps and business keys, in registration order. */
export function sagaCatalogOf(registry: SagaRegistry): SagaCatalog {
  return {
    definitions: registry.all().map((d) => ({
      name: d.name,
      steps: d.steps.map((s) => ({
        name: s.name,
        command: s.command,
        compensation: s.compensation?.command ?? null,
      })),
      keys: Object.keys(d.keys),
    })),
  };
}
