import { randomUUID } from 'node:crypto';
import { adminSessions, adminUsers, auditLog, type AdminRole } from '@sagaport/db';
import { and, eq } from 'drizzle-orm';
import type { Hono } from 'hono';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../test-support/stack.js';
import { hashPassword, hashToken } from '@sagaport/admin-api/testing';

const PASSWORD = 'a long enough password';

interface SessionBody {
  user: { id: string; email: string; role: string; lastLoginAt: string | null };
  csrfToken: string;
}

describe('login, me and logout (real PostgreSQL)', () => {
  let stack: TestStack;
  let app: Pick<Hono, 'request'>;

  beforeAll(async () => {
    stack = await startTestStack();
    app = stack.orchestrator.app;
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  async function createUser(role: AdminRole = 'operator', password = PASSWORD) {
    const email = `user-${randomUUID().slice(0, 8)}@test.sagaport`;
    const [user] = await stack.database.db
      .insert(adminUsers)
      .values({ email, name: 'Ada', role, passwordHash: await hashPassword(password) })
      .returning({ id: adminUsers.id });
    return { id: user!.id, email };
  }

  function login(
    email: string,
    password: string,
    headers: Record<string, string> = {},
    target: Pick<Hono, 'request'> = app,
  ) {
    return target.request('http://localhost/api/admin/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ email, password }),
    });
  }

  const cookieOf = (response: Response) => response.headers.get('set-cookie')!.split(';')[0]!;

  async function failedLoginsFor(userId: string) {
    return stack.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'auth.login-failed'), eq(auditLog.targetId, userId)));
  }

  async function auditRows(action: string, actorEmail: string) {
    return stack.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, action), eq(auditLog.actorEmail, actorEmail)));
  }

  it('signs in: session cookie with the contract flags, the user and a CSRF token; only the token hash is stored', async () => {
    const user = await createUser();
    const response = await login(user.email, PASSWORD);
    expect(response.status).toBe(200);
    const body = (await response.json()) as SessionBody;
    expect(body.user).toMatchObject({ id: user.id, email: user.email, role: 'operator' });
    expect(Date.parse(body.user.lastLoginAt!)).toBeGreaterThan(Date.now() - 60_000);
    expect(body.csrfToken.length).toBeGreaterThanOrEqual(32);

    const setCookie = response.headers.get('set-cookie')!;
    const attributes = setCookie.split('; ');
    expect(attributes).toEqual(
      expect.arrayContaining(['HttpOnly', 'SameSite=Strict', 'Path=/', `Max-Age=${12 * 3600}`]),
    );
    expect(setCookie).not.toMatch(/Secure/);
    const token = cookieOf(response).split('=')[1]!;
    expect(token).toMatch(/^[\w-]{43}$/);

    const sessions = await stack.database.db
      .select()
      .from(adminSessions)
      .where(eq(adminSessions.userId, user.id));
    expect(sessions).toHaveLength(1);
    expect(sessions[0]!.tokenHash).toBe(hashToken(token));
    expect(JSON.stringify(sessions)).not.toContain(token);
    expect(sessions[0]!.csrfToken).toBe(body.csrfToken);
    const ttlMs = sessions[0]!.expiresAt.getTime() - Date.now();
    expect(ttlMs).toBeGreaterThan(12 * 3_600_000 - 60_000);
    expect(ttlMs).toBeLessThanOrEqual(12 * 3_600_000);

    const audit = await auditRows('auth.login', user.email);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorId: user.id, targetType: 'user', targetId: user.id });
  });

  it('sets a Secure cookie behind an HTTPS proxy', async () => {
    const user = await createUser();
    const response = await login(user.email, PASSWORD, { 'x-forwarded-proto': 'https' });
    expect(response.status).toBe(200);
    expect(response.headers.get('set-cookie')).toMatch(/; Secure/);
  });

  it('accepts the email in any case', async () => {
    const user = await createUser();
    expect((await login(user.email.toUpperCase(), PASSWORD)).status).toBe(200);
  });

  it('GET /auth/me answers the session user and the same CSRF token; 401 without or with a bogus cookie', async () => {
    const user = await createUser('viewer');
    const signedIn = await login(user.email, PASSWORD);
    const { csrfToken } = (await signedIn.json()) as SessionBody;
    const me = await app.request('/api/admin/auth/me', { headers: { cookie: cookieOf(signedIn) } });
    expect(me.status).toBe(200);
    expect(await me.json()).toMatchObject({ user: { id: user.id, role: 'viewer' }, csrfToken });

    const anonymous = await app.request('/api/admin/auth/me');
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('content-type')).toBe('application/problem+json');
    const bogus = await app.request('/api/admin/auth/me', {
      headers: { cookie: `sagaport_session=${'x'.repeat(43)}` },
    });
    expect(bogus.status).toBe(401);
  });

  it('refuses a wrong password and an unknown email with the same 401, and audits both as failed logins', async () => {
    const user = await createUser();
    const wrong = await login(user.email, 'not the password');
    const unknown = await login(`nobody-${randomUUID()}@test.sagaport`, PASSWORD);
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.headers.get('content-type')).toBe('application/problem+json');
    const [wrongBody, unknownBody] = (await Promise.all([wrong.json(), unknown.json()])) as object[];
    expect(wrongBody).toEqual(unknownBody);
    expect(wrongBody).toMatchObject({ title: 'Invalid email or password', status: 401 });
    expect(wrong.headers.get('set-cookie')).toBeNull();

    const [failedKnown] = await failedLoginsFor(user.id);
    expect(failedKnown).toMatchObject({
      actorId: null,
      actorEmail: '(not signed in)',
      targetType: 'user',
      targetId: user.id,
      detail: { reason: 'wrong-password', address: 'unknown' },
    });
    expect(await auditRows('auth.login', user.email)).toHaveLength(0);
  });

  it('stores no typed input for a failed login: a password typed as the email appears in no audit row', async () => {
    const typed = `hunter2-${randomUUID()}`;
    expect((await login(typed, 'anything at all')).status).toBe(401);
    const rows = await stack.database.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, 'auth.login-failed'));
    expect(JSON.stringify(rows)).not.toContain(typed);
    const unknown = rows.filter((row) => row.targetId === null);
    expect(unknown.length).toBeGreaterThan(0);
    expect(unknown.at(-1)).toMatchObject({
      actorId: null,
      actorEmail: '(not signed in)',
      detail: { reason: 'unknown-user', address: 'unknown' },
    });
  });

  it('refuses a disabled user, at login and for an existing session', async () => {
    const user = await createUser();
    const signedIn = await login(user.email, PASSWORD);
    await stack.database.db
      .update(adminUsers)
      .set({ disabledAt: new Date() })
      .where(eq(adminUsers.id, user.id));
    expect((await login(user.email, PASSWORD)).status).toBe(401);
    const me = await app.request('/api/admin/auth/me', { headers: { cookie: cookieOf(signedIn) } });
    expect(me.status).toBe(401);
  });

  it('refuses an expired session', async () => {
    const user = await createUser();
    const signedIn = await login(user.email, PASSWORD);
    await stack.database.db
      .update(adminSessions)
      .set({ expiresAt: new Date(Date.now() - 1000) })
      .where(eq(adminSessions.userId, user.id));
    const me = await app.request('/api/admin/auth/me', { headers: { cookie: cookieOf(signedIn) } });
    expect(me.status).toBe(401);
  });

  it('answers malformed and invalid bodies with 400/422 problems, never 500', async () => {
    const malformed = await app.request('/api/admin/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"email": ',
    });
    expect(malformed.status).toBe(400);
    expect(malformed.headers.get('content-type')).toBe('application/problem+json');
    const missing = await login('', '');
    expect(missing.status).toBe(422);
    const nul = await login('ada\u0000@test.sagaport', PASSWORD);
    expect(nul.status).toBe(422);
    expect(((await nul.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toContain(
      'email',
    );
  });

  it('logs out: 204, cookie cleared, the session row deleted, the old cookie refused, an audit row', async () => {
    const user = await createUser('viewer');
    const signedIn = await login(user.email, PASSWORD);
    const { csrfToken } = (await signedIn.json()) as SessionBody;
    const cookie = cookieOf(signedIn);

    const withoutCsrf = await app.request('/api/admin/auth/logout', { method: 'POST', headers: { cookie } });
    expect(withoutCsrf.status).toBe(403);
    expect((await app.request('/api/admin/auth/me', { headers: { cookie } })).status).toBe(200);

    const response = await app.request('/api/admin/auth/logout', {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    expect(response.status).toBe(204);
    expect(response.headers.get('set-cookie')).toMatch(/^sagaport_session=;.*Max-Age=0/);
    expect(
      await stack.database.db.select().from(adminSessions).where(eq(adminSessions.userId, user.id)),
    ).toEqual([]);
    expect((await app.request('/api/admin/auth/me', { headers: { cookie } })).status).toBe(401);
    expect(await auditRows('auth.logout', user.email)).toHaveLength(1);

    const again = await app.request('/api/admin/auth/logout', {
      method: 'POST',
      headers: { cookie, 'x-csrf-token': csrfToken },
    });
    expect(again.status).toBe(401);
  });
});
