import { randomUUID } from 'node:crypto';
import { adminSessions, adminUsers, auditLog, loginThrottle } from '@sagaport/db';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createTestSession, type TestSession } from '@sagaport/admin-api/testing';
import { startTestStack, type TestStack } from '../../test-support/stack.js';

interface UserBody {
  id: string;
  role: string;
  disabledAt: string | null;
}

describe('operators manage accounts (real PostgreSQL)', () => {
  let stack: TestStack;
  let operator: TestSession;

  beforeAll(async () => {
    stack = await startTestStack();
    operator = await createTestSession(stack.database.db, stack.orchestrator.app, 'operator');
  });
  afterAll(async () => {
    await stack.cleanup();
  });
  beforeEach(async () => {
    await stack.database.db.delete(loginThrottle);
  });

  const session = (role: 'viewer' | 'operator' = 'viewer') =>
    createTestSession(stack.database.db, stack.orchestrator.app, role);
  const isLive = async (who: TestSession) => (await who.request('/auth/me')).status === 200;
  const sessionsOf = (userId: string) =>
    stack.database.db.select().from(adminSessions).where(eq(adminSessions.userId, userId));
  const auditOf = (userId: string, action: string) =>
    stack.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetId, userId), eq(auditLog.action, action)));

  it("disables a user: their sessions end at once (another user's do not), audited; enabling restores the account", async () => {
    const target = await session('viewer');
    const secondBrowser = await createTestSession(stack.database.db, stack.orchestrator.app, 'viewer');
    expect(await isLive(target)).toBe(true);

    const response = await operator.request(`/users/${target.userId}`, {
      method: 'PATCH',
      body: { disabled: true },
    });
    expect(response.status).toBe(200);
    const body = (await response.json()) as UserBody;
    expect(body.disabledAt).not.toBeNull();
    expect(await isLive(target)).toBe(false);
    expect(await sessionsOf(target.userId)).toEqual([]);
    expect(await isLive(secondBrowser)).toBe(true);

    const [updated] = await auditOf(target.userId, 'user.updated');
    expect(updated).toMatchObject({
      actorId: operator.userId,
      detail: { email: target.email, disabled: true, sessionsEnded: 1 },
    });
    expect(await auditOf(target.userId, 'session.revoked')).toHaveLength(1);

    const enabled = await operator.request(`/users/${target.userId}`, {
      method: 'PATCH',
      body: { disabled: false },
    });
    expect(((await enabled.json()) as UserBody).disabledAt).toBeNull();
    expect(await auditOf(target.userId, 'user.updated')).toHaveLength(2);
  });

  it('changes a role, effective on the next request of the existing session, and audits from and to', async () => {
    const target = await session('viewer');
    const before = await target.request('/users', {
      method: 'POST',
      body: {
        email: `x-${randomUUID()}@test.sagaport`,
        name: 'X',
        role: 'viewer',
        password: 'twelve chars or more',
      },
    });
    expect(before.status).toBe(403);
    const response = await operator.request(`/users/${target.userId}`, {
      method: 'PATCH',
      body: { role: 'operator' },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as UserBody).role).toBe('operator');
    const after = await target.request('/users', {
      method: 'POST',
      body: {
        email: `y-${randomUUID()}@test.sagaport`,
        name: 'Y',
        role: 'viewer',
        password: 'twelve chars or more',
      },
    });
    expect(after.status).toBe(201);
    const [audit] = await auditOf(target.userId, 'user.updated');
    expect(audit!.detail).toMatchObject({ role: { from: 'viewer', to: 'operator' } });
  });

  it('refuses viewers (403) and changes to your own account (409), and changes nothing', async () => {
    const viewer = await session('viewer');
    const target = await session('viewer');
    const refused = await viewer.request(`/users/${target.userId}`, {
      method: 'PATCH',
      body: { disabled: true },
    });
    expect(refused.status).toBe(403);
    expect(await refused.json()).toMatchObject({ title: 'Operator role required' });
    expect((await viewer.request(`/users/${target.userId}/sessions`)).status).toBe(403);
    expect((await viewer.request(`/users/${target.userId}/sessions`, { method: 'DELETE' })).status).toBe(403);
    expect(await isLive(target)).toBe(true);

    const self = await operator.request(`/users/${operator.userId}`, {
      method: 'PATCH',
      body: { role: 'viewer' },
    });
    expect(self.status).toBe(409);
    expect(self.headers.get('content-type')).toBe('application/problem+json');
    const [me] = await stack.database.db.select().from(adminUsers).where(eq(adminUsers.id, operator.userId));
    expect(me).toMatchObject({ role: 'operator', disabledAt: null });
  });

  it('answers 404 for an unknown user and 422 naming the field for an empty or unknown change', async () => {
    expect(
      (await operator.request(`/users/${randomUUID()}`, { method: 'PATCH', body: { disabled: true } }))
        .status,
    ).toBe(404);
    const target = await session('viewer');
    const empty = await operator.request(`/users/${target.userId}`, { method: 'PATCH', body: {} });
    expect(empty.status).toBe(422);
    expect(((await empty.json()) as { errors: { field: string }[] }).errors[0]!.field).toBe('role');
    const bad = await operator.request(`/users/${target.userId}`, {
      method: 'PATCH',
      body: { role: 'admin' },
    });
    expect(bad.status).toBe(422);
  });

  it("lists another user's sessions and ends one or all of them", async () => {
    const first = await session('viewer');
    const userId = first.userId;
    // A second session of the same user.
    const [row] = await sessionsOf(userId);
    await stack.database.db.insert(adminSessions).values({
      tokenHash: `other-${randomUUID()}`,
      userId,
      csrfToken: 'x',
      expiresAt: new Date(Date.now() + 3_600_000),
    });
    const listed = await operator.request(`/users/${userId}/sessions`);
    expect(listed.status).toBe(200);
    const { items } = (await listed.json()) as { items: { id: string; current: boolean }[] };
    expect(items).toHaveLength(2);
    expect(items.every((s) => !s.current)).toBe(true);

    const other = items.find((s) => s.id !== row!.id)!;
    expect(
      (await operator.request(`/users/${userId}/sessions/${other.id}`, { method: 'DELETE' })).status,
    ).toBe(204);
    expect(await sessionsOf(userId)).toHaveLength(1);
    expect(
      (await operator.request(`/users/${userId}/sessions/${other.id}`, { method: 'DELETE' })).status,
    ).toBe(404);

    const all = await operator.request(`/users/${userId}/sessions`, { method: 'DELETE' });
    expect(await all.json()).toEqual({ revoked: 1 });
    expect(await isLive(first)).toBe(false);
  });

  it('lists users with their disabled mark', async () => {
    const target = await session('viewer');
    await operator.request(`/users/${target.userId}`, { method: 'PATCH', body: { disabled: true } });
    const { items } = (await (await operator.request('/users')).json()) as { items: UserBody[] };
    expect(items.find((u) => u.id === target.userId)!.disabledAt).not.toBeNull();
  });
});
