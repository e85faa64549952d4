// Signed-in admin sessions for tests, made straight in the database (the login flow has its own tests).
import { createHash, randomBytes, randomUUID } from 'node:crypto';
import { adminSessions, adminUsers, type AdminRole, type Database } from '@sagaport/db';
import type { Hono } from 'hono';

/** Name of the session cookie the admin API reads. */
export const SESSION_COOKIE = 'sagaport_session';

export interface TestSession {
  readonly userId: string;
  readonly email: string;
  readonly role: AdminRole;
  readonly cookie: string;
  readonly csrfToken: string;
  /** Calls `/api/admin<path>` on `app` with the cookie, and the CSRF header on mutations. */
  request(path: string, init?: { method?: string; body?: unknown; csrf?: boolean }): Promise<Response>;
}

/** Creates a user with `role` and a live session for it. */
export async function createTestSession(
  db: Database,
  app: Pick<Hono, 'request'>,
  role: AdminRole,
): Promise<TestSession> {
  const email = `${role}-${randomUUID().slice(0, 8)}@test.sagaport`;
  const [user] = await db
    .insert(adminUsers)
    .values({ email, name: `Test ${role}`, role, passwordHash: 'scrypt$unusable' })
    .returning({ id: adminUsers.id });
  const token = randomBytes(32).toString('base64url');
  const csrfToken = randomBytes(24).toString('base64url');
  await db.insert(adminSessions).values({
    tokenHash: createHash('sha256').update(token).digest('hex'),
    userId: user!.id,
    csrfToken,
    expiresAt: new Date(Date.now() + 3_600_000),
  });
  const cookie = `${SESSION_COOKIE}=${token}`;
  return { userId: user!.id, email, role, ...sessionClient(app, cookie, csrfToken) };
}

/** A signed-in client of `app`'s admin API: the session cookie, and the CSRF header on mutations. */
export function sessionClient(
  app: Pick<Hono, 'request'>,
  cookie: string,
  csrfToken: string,
): Pick<TestSession, 'cookie' | 'csrfToken' | 'request'> {
  return {
    cookie,
    csrfToken,
    request(path, init = {}) {
      const method = init.method ?? 'GET';
      const headers: Record<string, string> = { cookie };
      if (method !== 'GET' && init.csrf !== false) headers['x-csrf-token'] = csrfToken;
      if (init.body !== undefined) headers['content-type'] = 'application/json';
      return Promise.resolve(
        app.request(`/api/admin${path}`, {
          method,
          headers,
          ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
        }),
      );
    },
  };
}
