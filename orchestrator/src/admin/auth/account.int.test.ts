import { randomUUID } from 'node:crypto';
import { adminSessions, adminUsers, auditLog, loginThrottle, type AdminRole } from '@sagaport/db';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../test-support/stack.js';
import { hashPassword, sessionClient, verifyPassword } from '@sagaport/admin-api/testing';

const PASSWORD = 'the first long password';
const NEW_PASSWORD = 'a brand new long password';

type SignedIn = ReturnType<typeof sessionClient>;

interface SessionInfo {
  id: string;
  current: boolean;
  lastSeenAt: string;
  expiresAt: string;
  userAgent: string | null;
  address: string | null;
}

describe('own account: password and sessions (real PostgreSQL)', () => {
  let stack: TestStack;

  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack.cleanup();
  });
  beforeEach(async () => {
    await stack.database.db.delete(loginThrottle);
  });

  async function createUser(role: AdminRole = 'viewer') {
    const email = `user-${randomUUID().slice(0, 8)}@test.sagaport`;
    const [user] = await stack.database.db
      .insert(adminUsers)
      .values({ email, name: 'Ada', role, passwordHash: await hashPassword(PASSWORD) })
      .returning({ id: adminUsers.id });
    return { id: user!.id, email };
  }

  async function signIn(email: string, password = PASSWORD, userAgent = 'test browser'): Promise<SignedIn> {
    const response = await stack.orchestrator.app.request('/api/admin/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'user-agent': userAgent },
      body: JSON.stringify({ email, password }),
    });
    expect(response.status).toBe(200);
    const cookie = response.headers.get('set-cookie')!.split(';')[0]!;
    const { csrfToken } = (await response.json()) as { csrfToken: string };
    return sessionClient(stack.orchestrator.app, cookie, csrfToken);
  }

  const changePassword = (who: SignedIn, currentPassword: string, newPassword = NEW_PASSWORD, csrf = true) =>
    who.request('/account/password', { method: 'POST', body: { currentPassword, newPassword }, csrf });

  const isLive = async (who: SignedIn) => (await who.request('/auth/me')).status === 200;

  it('lets a viewer change their own password: the old one stops working, their other sessions end, this one stays', async () => {
    const user = await createUser('viewer');
    const here = await signIn(user.email);
    const elsewhere = await signIn(user.email, PASSWORD, 'another browser');
    const response = await changePassword(here, PASSWORD);
    expect(response.status).toBe(204);

    const [stored] = await stack.database.db.select().from(adminUsers).where(eq(adminUsers.id, user.id));
    await expect(verifyPassword(NEW_PASSWORD, stored!.passwordHash)).resolves.toBe(true);
    expect(await isLive(here)).toBe(true);
    expect(await isLive(elsewhere)).toBe(false);
    await signIn(user.email, NEW_PASSWORD);

    const audit = await stack.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetId, user.id), eq(auditLog.action, 'user.password-changed')));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actorId: user.id, detail: { sessionsEnded: 1 } });
    expect(JSON.stringify(audit)).not.toContain(NEW_PASSWORD);
  });

  it('refuses a wrong current password with a 422 naming currentPassword, and changes nothing', async () => {
    const user = await createUser();
    const here = await signIn(user.email);
    const elsewhere = await signIn(user.email);
    const response = await changePassword(here, 'not my password');
    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const body = (await response.json()) as { errors: { field: string }[] };
    expect(body.errors.map((e) => e.field)).toEqual(['currentPassword']);
    expect(await isLive(elsewhere)).toBe(true);
    await signIn(user.email, PASSWORD);
  });

  it('refuses a short new password, the same password, and a change without the CSRF token', async () => {
    const user = await createUser();
    const here = await signIn(user.email);
    const short = await changePassword(here, PASSWORD, 'short');
    expect(short.status).toBe(422);
    expect(((await short.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe('newPassword');
    expect((await changePassword(here, PASSWORD, PASSWORD)).status).toBe(422);
    expect((await changePassword(here, PASSWORD, NEW_PASSWORD, false)).status).toBe(403);
    await signIn(user.email, PASSWORD);
  });

  it('throttles guesses of the current password like logins (429 after the per-account limit)', async () => {
    const user = await createUser();
    const here = await signIn(user.email);
    const statuses: number[] = [];
    for (let i = 0; i < 11; i += 1) statuses.push((await changePassword(here, `guess ${i}`)).status);
    expect(statuses.slice(0, 10).every((s) => s === 422)).toBe(true);
    expect(statuses[10]).toBe(429);
  });

  it('lists only your own live sessions, marks the current one, and shows no token', async () => {
    const user = await createUser();
    const here = await signIn(user.email, PASSWORD, 'browser A');
    await signIn(user.email, PASSWORD, 'browser B');
    const other = await createUser();
    await signIn(other.email);
    const response = await here.request('/account/sessions');
    expect(response.status).toBe(200);
    const { items } = (await response.json()) as { items: SessionInfo[] };
    expect(items).toHaveLength(2);
    expect(items.filter((s) => s.current)).toHaveLength(1);
    expect(items.find((s) => s.current)!.userAgent).toBe('browser A');
    expect(items.map((s) => s.address)).toEqual(['unknown', 'unknown']);
    const rows = await stack.database.db
      .select()
      .from(adminSessions)
      .where(eq(adminSessions.userId, user.id));
    for (const row of rows) expect(JSON.stringify(items)).not.toContain(row.tokenHash);
  });

  it("revokes one of your sessions at once, refuses someone else's (404), and signs you out when it is the current one", async () => {
    const user = await createUser();
    const here = await signIn(user.email);
    const elsewhere = await signIn(user.email);
    const stranger = await signIn((await createUser()).email);
    const { items } = (await (await here.request('/account/sessions')).json()) as { items: SessionInfo[] };
    const otherId = items.find((s) => !s.current)!.id;
    const currentId = items.find((s) => s.current)!.id;

    const { items: strangers } = (await (await stranger.request('/account/sessions')).json()) as {
      items: SessionInfo[];
    };
    expect((await here.request(`/account/sessions/${strangers[0]!.id}`, { method: 'DELETE' })).status).toBe(
      404,
    );
    expect(await isLive(stranger)).toBe(true);

    expect((await here.request(`/account/sessions/${otherId}`, { method: 'DELETE' })).status).toBe(204);
    expect(await isLive(elsewhere)).toBe(false);
    expect(await isLive(here)).toBe(true);
    const audit = await stack.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetId, user.id), eq(auditLog.action, 'session.revoked')));
    expect(audit[0]).toMatchObject({ actorId: user.id, detail: { sessions: 1, sessionId: otherId } });

    const self = await here.request(`/account/sessions/${currentId}`, { method: 'DELETE' });
    expect(self.status).toBe(204);
    expect(self.headers.get('set-cookie')).toMatch(/^sagaport_session=;.*Max-Age=0/);
    expect(await isLive(here)).toBe(false);
  });

  describe('idle timeout (30 minutes by default)', () => {
    const idleFor = (minutes: number, userId: string) =>
      stack.database.db
        .update(adminSessions)
        .set({ lastSeenAt: sql`now() - make_interval(mins => ${minutes})` })
        .where(eq(adminSessions.userId, userId));

    it('ends a session idle for longer than the timeout, though its absolute lifetime has not run out', async () => {
      const user = await createUser();
      const here = await signIn(user.email);
      await idleFor(31, user.id);
      expect(await isLive(here)).toBe(false);
    });

    it('keeps a session in use alive: a request moves its last-seen time', async () => {
      const user = await createUser();
      const here = await signIn(user.email);
      await idleFor(29, user.id);
      expect(await isLive(here)).toBe(true);
      const [row] = await stack.database.db
        .select({ lastSeenAt: adminSessions.lastSeenAt })
        .from(adminSessions)
        .where(eq(adminSessions.userId, user.id));
      expect(Date.now() - row!.lastSeenAt.getTime()).toBeLessThan(60_000);
      await idleFor(29, user.id);
      expect(await isLive(here)).toBe(true);
    });
  });
});
