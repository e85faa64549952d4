// The database side of signing in and out: checking credentials, opening and closing sessions, with their audit rows.
import { adminSessions, adminUsers, type Database } from '@sagaport/db';
import { and, eq, lt, sql } from 'drizzle-orm';
import { recordAudit } from '../audit/record.js';
import { UNKNOWN_USER_HASH, verifyPassword } from './password.js';
import {
  actorOf,
  createSession,
  toUserView,
  userColumns,
  type LoadedSession,
  type UserView,
} from './session.js';

/** Why a login was refused; recorded in the audit row, never told to the client. */
export type LoginFailure = 'unknown-user' | 'wrong-password' | 'disabled';

/** The outcome of checking an email and password. */
export type CredentialCheck =
  | { readonly ok: true; readonly userId: string }
  | { readonly ok: false; readonly reason: LoginFailure; readonly userId: string | null };

/** Checks `password` for the user `email` (lower-cased), spending one scrypt whether or not the user exists. */
export async function checkCredentials(
  db: Database,
  email: string,
  password: string,
): Promise<CredentialCheck> {
  const [user] = await db
    .select({ id: adminUsers.id, passwordHash: adminUsers.passwordHash, disabledAt: adminUsers.disabledAt })
    .from(adminUsers)
    .where(eq(adminUsers.email, email))
    .limit(1);
  // Verifying against a stand-in hash makes an unknown email answer as slowly as a wrong password.
  const passwordOk = await verifyPassword(password, user?.passwordHash ?? UNKNOWN_USER_HASH);
  if (!user) return { ok: false, reason: 'unknown-user', userId: null };
  if (!passwordOk) return { ok: false, reason: 'wrong-password', userId: user.id };
  if (user.disabledAt) return { ok: false, reason: 'disabled', userId: user.id };
  return { ok: true, userId: user.id };
}

/** The actor of an audit row written for someone not signed in (a failed login). */
export const ANONYMOUS_ACTOR = { id: null, email: '(not signed in)' } as const;

/**
 * Appends `auth.login-failed`: the user's id when the email named one, the reason and the client
 * address. What was typed is never stored: it is sometimes a password typed into the email field.
 */
export async function recordFailedLogin(
  db: Database,
  failure: Extract<CredentialCheck, { ok: false }>,
  address: string,
): Promise<void> {
  await recordAudit(
    db,
    ANONYMOUS_ACTOR,
    'auth.login-failed',
    { type: 'user', id: failure.userId },
    { reason: failure.reason, address },
  );
}

/** Opens a session for `userId`, stamps its last login and audits `auth.login`, in one transaction. */
export async function openSession(
  db: Database,
  userId: string,
  options: { readonly ttlHours: number; readonly userAgent: string | undefined; readonly address: string },
): Promise<{ token: string; csrfToken: string; user: UserView }> {
  return db.transaction(async (tx) => {
    const [updated] = await tx
      .update(adminUsers)
      .set({ lastLoginAt: sql`now()` })
      .where(eq(adminUsers.id, userId))
      .returning(userColumns);
    // Expired sessions are dead weight; a login is a cheap moment to drop the user's old ones.
    await tx
      .delete(adminSessions)
      .where(and(eq(adminSessions.userId, userId), lt(adminSessions.expiresAt, sql`now()`)));
    const created = await createSession(tx, userId, options.ttlHours, options);
    const user = toUserView(updated!);
    await recordAudit(
      tx,
      actorOf(user),
      'auth.login',
      { type: 'user', id: userId },
      { address: options.address },
    );
    return { ...created, user };
  });
}

/** Deletes `session` and audits `auth.logout`, in one transaction. */
export async function closeSession(db: Database, session: LoadedSession): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.delete(adminSessions).where(eq(adminSessions.tokenHash, session.tokenHash));
    await recordAudit(tx, actorOf(session.user), 'auth.logout', { type: 'user', id: session.user.id });
  });
}
