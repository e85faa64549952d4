// Operator actions on a saga: the engine's transition and the audit row commit together.
import { sagaInstances } from '@sagaport/db';
import { eq } from 'drizzle-orm';
import { recordAudit } from '../audit/record.js';
import type { Actor, AdminDeps } from '../env.js';
import type { OperatorAction } from '../orchestration.js';
import { loadSagaDetail } from './query.js';
import type { SagaDetail } from './schemas.js';

export type ActionOutcome =
  | { readonly kind: 'applied'; readonly saga: SagaDetail }
  | { readonly kind: 'not-applicable'; readonly reason: string }
  | { readonly kind: 'not-found' };

/** Audit action names, one per operator action. */
export const auditAction = (action: OperatorAction) => `saga.${action}`;

/**
 * Applies `action` to saga `sagaId` for `actor`; the audit row (with the status before and the
 * command now awaited) is written in the transition's transaction, so neither exists alone.
 */
export async function runOperatorAction(
  deps: AdminDeps,
  sagaId: string,
  action: OperatorAction,
  actor: Actor,
): Promise<ActionOutcome> {
  const { db } = deps.database;
  // Sagas are never deleted: once seen, the engine will find it.
  const [exists] = await db
    .select({ id: sagaInstances.id })
    .from(sagaInstances)
    .where(eq(sagaInstances.id, sagaId));
  if (!exists) return { kind: 'not-found' };
  const decision = await deps.operator.apply(sagaId, action, actor.email, async (tx, after, before) => {
    const awaiting = after.awaiting;
    await recordAudit(
      tx,
      actor,
      auditAction(action),
      { type: 'saga', id: sagaId },
      {
        fromStatus: before.status,
        toStatus: after.status,
        step: awaiting?.step ?? null,
        command: awaiting?.type ?? null,
        messageId: awaiting?.messageId ?? null,
        // The other commands of a stage the action resent or abandoned with the first.
        ...(after.alongside?.length
          ? {
              alongside: after.alongside.map((c) => ({
                step: c.step,
                command: c.type,
                messageId: c.messageId,
              })),
            }
          : {}),
      },
    );
  });
  if (!decision.applicable) return { kind: 'not-applicable', reason: decision.reason };
  const saga = await loadSagaDetail(db, sagaId);
  if (!saga) throw new Error(`saga ${sagaId} vanished after ${action}`);
  return { kind: 'applied', saga };
}
