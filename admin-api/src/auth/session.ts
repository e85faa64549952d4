// Session tokens and cookies: the browser holds a random token, the database only its SHA-256.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { adminSessions, adminUsers, type AdminRole, type Database, type DbExecutor } from '@sagaport/db';
import { and, eq, gt, isNull, sql } from 'drizzle-orm';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import type { Actor } from '../env.js';

/** Name of the cookie holding the session token. */
export const SESSION_COOKIE = 'sagaport_session';

/** Header a mutation must carry, equal to the session's CSRF token. */
export const CSRF_HEADER = 'X-CSRF-Token';

/** Browsers refuse cookies living longer than 400 days (RFC 6265bis). */
const MAX_COOKIE_AGE_SECONDS = 400 * 24 * 3600;

/** A console user as the API shows it. */
export interface UserView {
  readonly id: string;
  readonly email: string;
  readonly name: string;
  readonly role: AdminRole;
  readonly createdAt: string;
  readonly lastLoginAt: string | null;
  readonly disabledAt: string | null;
}

/** A live session and its (enabled) user. */
export interface LoadedSession {
  /** The session's public id (listing, revoking). */
  readonly id: string;
  readonly tokenHash: string;
  readonly csrfToken: string;
  readonly user: UserView;
}

/** How long sessions live: at most `ttlHours` after sign-in, and `idleMinutes` after the last request. */
export interface SessionLifetime {
  readonly ttlHours: number;
  readonly idleMinutes: number;
}

/** A session's last-seen time is written at most this often, so reads do not each cost a write. */
const LAST_SEEN_RESOLUTION_SECONDS = 60;

/** The columns of admin.users that make a {@link UserView}. */
export const userColumns = {
  id: adminUsers.id,
  email: adminUsers.email,
  name: adminUsers.name,
  role: adminUsers.role,
  createdAt: adminUsers.createdAt,
  lastLoginAt: adminUsers.lastLoginAt,
  disabledAt: adminUsers.disabledAt,
};

/** Turns a row selected with {@link userColumns} into the API's shape (ISO times). */
export function toUserView(row: {
  id: string;
  email: string;
  name: string;
  role: AdminRole;
  createdAt: Date;
  lastLoginAt: Date | null;
  disabledAt: Date | null;
}): UserView {
  return {
    ...row,
    createdAt: row.createdAt.toISOString(),
    lastLoginAt: row.lastLoginAt?.toISOString() ?? null,
    disabledAt: row.disabledAt?.toISOString() ?? null,
  };
}

/** The actor a session acts as. */
export function actorOf(user: UserView): Actor {
  return { id: user.id, email: user.email, name: user.name, role: user.role };
}

/** SHA-256 hex of a session token: what admin.sessions stores instead of the token. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}

/** Inserts a session for `userId` lasting `ttlHours`; returns the token for the cookie and the CSRF token. */
export async function createSession(
  tx: DbExecutor,
  userId: string,
  ttlHours: number,
  client: { readonly userAgent: string | undefined; readonly address: string },
): Promise<{ token: string; csrfToken: string }> {
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  await tx.insert(adminSessions).values({
    tokenHash: hashToken(token),
    userId,
    csrfToken,
    expiresAt: new Date(Date.now() + ttlHours * 3_600_000),
    userAgent: client.userAgent?.slice(0, 500) ?? null,
    address: client.address.slice(0, 100),
  });
  return { token, csrfToken };
}

/** SQL condition: the session has neither expired nor been idle longer than `idleMinutes`. */
export function sessionIsLive(idleMinutes: number) {
  return and(
    gt(adminSessions.expiresAt, sql`now()`),
    gt(adminSessions.lastSeenAt, sql`now() - make_interval(secs => ${idleMinutes * 60})`),
  );
}

/**
 * The live session named by the request's cookie, or undefined (no cookie, unknown, expired, idle
 * too long, user disabled). Marks the session as seen, at most once a minute.
 */
export async function loadSession(
  db: Database,
  c: Context,
  idleMinutes: number,
): Promise<LoadedSession | undefined> {
  const token = getCookie(c, SESSION_COOKIE);
  // A real token is 43 base64url characters; anything else cannot match, so spare the query.
  if (!token || !/^[\w-]{20,200}$/.test(token)) return undefined;
  const tokenHash = hashToken(token);
  const [row] = await db
    .select({
      id: adminSessions.id,
      csrfToken: adminSessions.csrfToken,
      seenRecently: sql<boolean>`${adminSessions.lastSeenAt} > now() - make_interval(secs => ${LAST_SEEN_RESOLUTION_SECONDS})`,
      user: userColumns,
    })
    .from(adminSessions)
    .innerJoin(adminUsers, eq(adminUsers.id, adminSessions.userId))
    .where(
      and(eq(adminSessions.tokenHash, tokenHash), sessionIsLive(idleMinutes), isNull(adminUsers.disabledAt)),
    )
    .limit(1);
  if (!row) return undefined;
  if (!row.seenRecently) {
    await db
      .update(adminSessions)
      .set({ lastSeenAt: sql`now()` })
      .where(eq(adminSessions.tokenHash, tokenHash));
  }
  return { id: row.id, tokenHash, csrfToken: row.csrfToken, user: toUserView(row.user) };
}

/** True when the request's `X-CSRF-Token` equals the session's token (compared in constant time). */
export function csrfMatches(c: Context, session: LoadedSession): boolean {
  const sent = c.req.header(CSRF_HEADER);
  if (!sent) return false;
  // Hashing first gives equal lengths, which timingSafeEqual requires.
  const digest = (value: string) => createHash('sha256').update(value).digest();
  return timingSafeEqual(digest(sent), digest(session.csrfToken));
}

/** True when the request reached us over HTTPS, directly or through a proxy that says so. */
export function isHttps(c: Context): boolean {
  const forwarded = c.req.header('x-forwarded-proto')?.split(',')[0]?.trim().toLowerCase();
  return forwarded === 'https' || new URL(c.req.url).protocol === 'https:';
}

/** Sets the session cookie: HttpOnly, SameSite=Strict, Path=/, Secure over HTTPS, Max-Age of the session. */
export function setSessionCookie(c: Context, token: string, ttlHours: number): void {
  setCookie(c, SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'Strict',
    path: '/',
    secure: isHttps(c),
    maxAge: Math.min(Math.max(1, Math.round(ttlHours * 3600)), MAX_COOKIE_AGE_SECONDS),
  });
}

/** Tells the browser to drop the session cookie. */
export function clearSessionCookie(c: Context): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Strict', secure: isHttps(c) });
}
