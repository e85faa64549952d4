import { randomUUID } from 'node:crypto';
import { adminUsers, auditLog } from '@sagaport/db';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSession, type TestSession, verifyPassword } from '@sagaport/admin-api/testing';
import { startTestStack, type TestStack } from '../../test-support/stack.js';

interface UserBody {
  id: string;
  email: string;
  name: string;
  role: string;
  createdAt: string;
  lastLoginAt: string | null;
  disabledAt: string | null;
}

describe('users (real PostgreSQL)', () => {
  let stack: TestStack;
  let operator: TestSession;
  let viewer: TestSession;

  beforeAll(async () => {
    stack = await startTestStack();
    operator = await createTestSession(stack.database.db, stack.orchestrator.app, 'operator');
    viewer = await createTestSession(stack.database.db, stack.orchestrator.app, 'viewer');
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  const newUser = () => ({
    email: `New.User-${randomUUID().slice(0, 8)}@Test.Sagaport`,
    name: 'Grace Hopper',
    role: 'viewer',
    password: 'twelve chars or more',
  });
  const auditCount = async () => (await stack.database.db.select({ n: count() }).from(auditLog))[0]!.n;
  const userCount = async () => (await stack.database.db.select({ n: count() }).from(adminUsers))[0]!.n;

  it('creates a user: 201, email lower-cased, password stored as a verifiable scrypt hash, one audit row', async () => {
    const input = newUser();
    const response = await operator.request('/users', { method: 'POST', body: input });
    expect(response.status).toBe(201);
    const user = (await response.json()) as UserBody;
    expect(user).toEqual({
      id: expect.any(String) as string,
      email: input.email.toLowerCase(),
      name: 'Grace Hopper',
      role: 'viewer',
      createdAt: expect.any(String) as string,
      lastLoginAt: null,
      disabledAt: null,
    });
    expect(JSON.stringify(user)).not.toMatch(/password|scrypt/i);

    const [stored] = await stack.database.db.select().from(adminUsers).where(eq(adminUsers.id, user.id));
    expect(stored!.passwordHash).toMatch(/^scrypt\$16384\$8\$1\$/);
    await expect(verifyPassword(input.password, stored!.passwordHash)).resolves.toBe(true);

    const audit = await stack.database.db.select().from(auditLog).where(eq(auditLog.targetId, user.id));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      action: 'user.created',
      actorId: operator.userId,
      actorEmail: operator.email,
      targetType: 'user',
      detail: { email: user.email, role: 'viewer' },
    });
    expect(JSON.stringify(audit[0]!.detail)).not.toContain(input.password);
  });

  it('lets the new user sign in', async () => {
    const input = newUser();
    expect((await operator.request('/users', { method: 'POST', body: input })).status).toBe(201);
    const login = await stack.orchestrator.app.request('/api/admin/auth/login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ email: input.email, password: input.password }),
    });
    expect(login.status).toBe(200);
  });

  it('answers 409 for an email that exists in any case, and creates and audits nothing', async () => {
    const input = newUser();
    expect((await operator.request('/users', { method: 'POST', body: input })).status).toBe(201);
    const [users, audits] = [await userCount(), await auditCount()];
    const duplicate = await operator.request('/users', {
      method: 'POST',
      body: { ...newUser(), email: input.email.toUpperCase() },
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.headers.get('content-type')).toBe('application/problem+json');
    expect([await userCount(), await auditCount()]).toEqual([users, audits]);
  });

  it('refuses a viewer with 403 "Operator role required", and creates and audits nothing', async () => {
    const [users, audits] = [await userCount(), await auditCount()];
    const response = await viewer.request('/users', { method: 'POST', body: newUser() });
    expect(response.status).toBe(403);
    expect(await response.json()).toMatchObject({ status: 403, title: 'Operator role required' });
    expect([await userCount(), await auditCount()]).toEqual([users, audits]);
  });

  it('refuses an operator without the CSRF header (403) and a request without a session (401)', async () => {
    const users = await userCount();
    const noCsrf = await operator.request('/users', { method: 'POST', body: newUser(), csrf: false });
    expect(noCsrf.status).toBe(403);
    expect(await noCsrf.json()).toMatchObject({ title: 'CSRF token missing or wrong' });
    const anonymous = await stack.orchestrator.app.request('/api/admin/users', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(newUser()),
    });
    expect(anonymous.status).toBe(401);
    expect((await stack.orchestrator.app.request('/api/admin/users')).status).toBe(401);
    expect(await userCount()).toBe(users);
  });

  it('answers 422 naming each invalid field', async () => {
    const response = await operator.request('/users', {
      method: 'POST',
      body: { email: 'not an email', name: 'bad\u0000name', role: 'admin', password: 'short' },
    });
    expect(response.status).toBe(422);
    const fields = ((await response.json()) as { errors: { field: string }[] }).errors.map((e) => e.field);
    expect(fields).toEqual(expect.arrayContaining(['email', 'name', 'role', 'password']));
  });

  it('lists every user to a viewer, sorted by email, without password hashes', async () => {
    const response = await viewer.request('/users');
    expect(response.status).toBe(200);
    const { items } = (await response.json()) as { items: UserBody[] };
    expect(items).toHaveLength(await userCount());
    expect(items.map((u) => u.email)).toEqual(items.map((u) => u.email).sort());
    expect(items.map((u) => u.id)).toEqual(expect.arrayContaining([operator.userId, viewer.userId]));
    expect(JSON.stringify(items)).not.toMatch(/scrypt|passwordHash/);
  });
});
