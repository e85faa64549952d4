// Writes one audit row; call it inside the transaction of the mutation it describes.
import { auditLog, type DbExecutor } from '@sagaport/db';
import type { Actor } from '../env.js';

/** Who is recorded: a signed-in {@link Actor}, or someone unknown (`id: null`, e.g. a failed login). */
export type AuditActor = Pick<Actor, 'email' | 'token'> & { readonly id: string | null };

/** What was changed: a kind of thing and its id. */
export interface AuditTarget {
  readonly type: string;
  readonly id?: string | null;
}

/** Appends who did `action` to `target`, with `detail` (and the API token used, if any), at the transaction's time. */
export async function recordAudit(
  tx: DbExecutor,
  actor: AuditActor,
  action: string,
  target: AuditTarget,
  detail?: Record<string, unknown>,
): Promise<void> {
  await tx.insert(auditLog).values({
    actorId: actor.id,
    actorEmail: actor.email,
    action,
    targetType: target.type,
    targetId: target.id ?? null,
    detail: actor.token ? { ...detail, token: actor.token } : (detail ?? null),
  });
}
