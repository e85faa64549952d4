// Listing and revoking a user's sessions, for the account page (one's own) and for operators (anyone's).
import { adminSessions, type Database, type DbExecutor } from '@sagaport/db';
import { and, desc, eq, ne, sql } from 'drizzle-orm';
import { recordAudit, type AuditActor } from '../audit/record.js';
import { sessionIsLive } from './session.js';

/** A session as {@link listSessions} shows it. */
export interface SessionInfo {
  readonly id: string;
  readonly createdAt: string;
  readonly lastSeenAt: string;
  readonly expiresAt: string;
  readonly userAgent: string | null;
  readonly address: string | null;
  readonly current: boolean;
}

/** Sessions listed per user; a browser per device, this only bounds a runaway table. */
const MAX_SESSIONS = 200;

/** The live sessions of `userId`, most recently used first; `currentId` is marked `current`. */
export async function listSessions(
  db: Database,
  userId: string,
  idleMinutes: number,
  currentId: string | undefined,
): Promise<SessionInfo[]> {
  const rows = await db
    .select({
      id: adminSessions.id,
      createdAt: adminSessions.createdAt,
      lastSeenAt: adminSessions.lastSeenAt,
      expiresAt:
        sql<Date>`least(${adminSessions.expiresAt}, ${adminSessions.lastSeenAt} + make_interval(secs => ${idleMinutes * 60}))`.mapWith(
          adminSessions.expiresAt,
        ),
      userAgent: adminSessions.userAgent,
      address: adminSessions.address,
    })
    .from(adminSessions)
    .where(and(eq(adminSessions.userId, userId), sessionIsLive(idleMinutes)))
    .orderBy(desc(adminSessions.lastSeenAt), desc(adminSessions.id))
    .limit(MAX_SESSIONS);
  return rows.map((row) => ({
    ...row,
    createdAt: row.createdAt.toISOString(),
    lastSeenAt: row.lastSeenAt.toISOString(),
    expiresAt: row.expiresAt.toISOString(),
    current: row.id === currentId,
  }));
}

/** Which sessions of a user to end: one by id, all, or all but the one making the request. */
export type SessionSelection =
  { readonly only: string } | { readonly all: true } | { readonly allBut: string };

/**
 * Deletes the selected sessions of `userId` and, when any ended, audits `session.revoked` by
 * `actor`; returns how many ended. Run it in the transaction of the change that causes it.
 */
export async function revokeSessions(
  tx: DbExecutor,
  actor: AuditActor,
  userId: string,
  selection: SessionSelection,
): Promise<number> {
  const which =
    'only' in selection
      ? eq(adminSessions.id, selection.only)
      : 'allBut' in selection
        ? ne(adminSessions.id, selection.allBut)
        : undefined;
  const ended = await tx
    .delete(adminSessions)
    .where(and(eq(adminSessions.userId, userId), which))
    .returning({ id: adminSessions.id });
  if (ended.length > 0) {
    await recordAudit(
      tx,
      actor,
      'session.revoked',
      { type: 'user', id: userId },
      { sessions: ended.length, ...('only' in selection ? { sessionId: selection.only } : {}) },
    );
  }
  return ended.length;
}
