// API tokens against the real admin API and PostgreSQL: creation, bearer sign-in, scope, expiry, revocation, audit.
import { createHash, randomUUID } from 'node:crypto';
import { adminUsers, apiTokens, auditLog } from '@sagaport/db';
import { and, desc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSession, type TestSession } from '@sagaport/admin-api/testing';
import { startTestStack, type TestStack } from '../../test-support/stack.js';

interface ApiToken {
  id: string;
  name: string;
  scope: string;
  status: string;
  hint: string;
  owner: { id: string; email: string };
  createdByTokenId: string | null;
  expiresAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}
interface Problem {
  title: string;
  status: number;
  detail: string;
  errors?: { field: string; message: string }[];
}

describe('API tokens (real admin API and PostgreSQL)', () => {
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

  /** Creates a token through the API with a session; returns the answer. */
  async function create(
    session: TestSession,
    body: Record<string, unknown>,
  ): Promise<{ token: ApiToken; secret: string }> {
    const response = await session.request('/tokens', { method: 'POST', body });
    expect(response.status, await response.clone().text()).toBe(201);
    return (await response.json()) as { token: ApiToken; secret: string };
  }

  /** Calls `/api/admin<path>` with a bearer token and nothing else (no cookie, no CSRF header). */
  function withToken(secret: string, path: string, init: { method?: string; body?: unknown } = {}) {
    const headers: Record<string, string> = { authorization: `Bearer ${secret}` };
    if (init.body !== undefined) headers['content-type'] = 'application/json';
    return stack.orchestrator.app.request(`/api/admin${path}`, {
      method: init.method ?? 'GET',
      headers,
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
  }

  async function expectProblem(response: Response, status: number, title: string): Promise<Problem> {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const body = (await response.json()) as Problem;
    expect(body).toMatchObject({ status, title });
    return body;
  }

  const auditOf = (action: string, targetId: string) =>
    stack.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, action), eq(auditLog.targetId, targetId)))
      .orderBy(desc(auditLog.id));

  const newUser = () => ({
    email: `made-by-token-${randomUUID().slice(0, 8)}@example.com`,
    name: 'Made by a token',
    role: 'viewer',
    password: 'a long enough password',
  });

  it('shows the secret once at creation, stores only its SHA-256, lists tokens without it, and audits the creation', async () => {
    const { token, secret } = await create(operator, { name: 'nightly replay', scope: 'operator' });
    expect(secret).toMatch(/^sgp_[A-Za-z0-9_-]{43}$/);
    expect(token).toMatchObject({ name: 'nightly replay', scope: 'operator', status: 'active' });
    expect(secret.startsWith(token.hint)).toBe(true);

    const [row] = await stack.database.db.select().from(apiTokens).where(eq(apiTokens.id, token.id));
    expect(row!.tokenHash).toBe(createHash('sha256').update(secret).digest('hex'));
    expect(JSON.stringify(row)).not.toContain(secret.slice(10));

    const list = await operator.request('/tokens');
    const listed = await list.text();
    expect(listed).toContain(token.id);
    expect(listed).not.toContain(secret.slice(10));
    const [audit] = await auditOf('token.created', token.id);
    expect(audit).toMatchObject({ actorEmail: operator.email });
    expect(JSON.stringify(audit)).not.toContain(secret.slice(10));
  });

  it('gives the default lifetime, and refuses a lifetime beyond the maximum with 422 naming expiresInDays', async () => {
    const { token } = await create(operator, { name: 'default lifetime', scope: 'viewer' });
    const days = (Date.parse(token.expiresAt) - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(29.9);
    expect(days).toBeLessThanOrEqual(30);
    const response = await operator.request('/tokens', {
      method: 'POST',
      body: { name: 'forever', scope: 'viewer', expiresInDays: 366 },
    });
    const body = await expectProblem(response, 422, 'Lifetime too long');
    expect(body.errors).toEqual([{ field: 'expiresInDays', message: 'must be at most 365' }]);
  });

  it('authenticates a bearer token as its user, records its last use, and audits its changes with the token', async () => {
    const { token, secret } = await create(operator, { name: 'automation', scope: 'operator' });
    expect((await withToken(secret, '/sagas')).status).toBe(200);
    const [used] = await stack.database.db.select().from(apiTokens).where(eq(apiTokens.id, token.id));
    expect(used!.lastUsedAt).not.toBeNull();

    const user = newUser();
    const created = await withToken(secret, '/users', { method: 'POST', body: user });
    expect(created.status).toBe(201);
    const [audit] = await stack.database.db
      .select()
      .from(auditLog)
      .where(eq(auditLog.action, 'user.created'))
      .orderBy(desc(auditLog.id))
      .limit(1);
    expect(audit).toMatchObject({ actorId: operator.userId, actorEmail: operator.email });
    expect(audit!.detail).toMatchObject({ email: user.email, token: { id: token.id, name: 'automation' } });
  });

  it('needs no CSRF token with a bearer token, while a session mutation without one is still refused', async () => {
    const { secret } = await create(operator, { name: 'no csrf', scope: 'operator' });
    expect((await withToken(secret, '/users', { method: 'POST', body: newUser() })).status).toBe(201);
    const bySession = await operator.request('/users', { method: 'POST', body: newUser(), csrf: false });
    await expectProblem(bySession, 403, 'CSRF token missing or wrong');
  });

  it('refuses a mutation with a viewer-scoped token (403), changes nothing and audits the refusal', async () => {
    const { token, secret } = await create(operator, { name: 'read only', scope: 'viewer' });
    expect((await withToken(secret, '/sagas')).status).toBe(200);
    const user = newUser();
    await expectProblem(
      await withToken(secret, '/users', { method: 'POST', body: user }),
      403,
      'Token scope too narrow',
    );
    const made = await stack.database.db.select().from(adminUsers).where(eq(adminUsers.email, user.email));
    expect(made).toEqual([]);
    const [audit] = await auditOf('token.refused', token.id);
    expect(audit!.detail).toMatchObject({ reason: 'scope', method: 'POST', path: '/api/admin/users' });
  });

  it('never lets a token create a token above its scope, nor one outliving itself', async () => {
    const { token: readOnly, secret: readOnlySecret } = await create(operator, {
      name: 'read only parent',
      scope: 'viewer',
      expiresInDays: 2,
    });
    const above = await withToken(readOnlySecret, '/tokens', {
      method: 'POST',
      body: { name: 'escalation', scope: 'operator' },
    });
    const body = await expectProblem(above, 403, 'Scope above your role');
    expect(body.errors).toEqual([{ field: 'scope', message: 'must be at most viewer' }]);

    const child = await withToken(readOnlySecret, '/tokens', {
      method: 'POST',
      body: { name: 'child', scope: 'viewer', expiresInDays: 30 },
    });
    expect(child.status).toBe(201);
    const { token } = (await child.json()) as { token: ApiToken };
    expect(token.createdByTokenId).toBe(readOnly.id);
    expect(token.expiresAt).toBe(readOnly.expiresAt);
  });

  it('gives an operator-scoped token of a viewer only the viewer role', async () => {
    const { secret } = await create(operator, { name: 'soon demoted', scope: 'operator' });
    await stack.database.db
      .update(adminUsers)
      .set({ role: 'viewer' })
      .where(eq(adminUsers.id, operator.userId));
    try {
      const response = await withToken(secret, '/users', { method: 'POST', body: newUser() });
      await expectProblem(response, 403, 'Token scope too narrow');
    } finally {
      await stack.database.db
        .update(adminUsers)
        .set({ role: 'operator' })
        .where(eq(adminUsers.id, operator.userId));
    }
  });

  it('refuses an expired token with 401 problem+json saying it expired, and audits the attempt', async () => {
    const { token, secret } = await create(operator, { name: 'short lived', scope: 'viewer' });
    await stack.database.db
      .update(apiTokens)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(eq(apiTokens.id, token.id));
    const response = await withToken(secret, '/sagas');
    const body = await expectProblem(response, 401, 'API token expired');
    expect(body.detail).toMatch(/create a new one/i);
    expect(response.headers.get('www-authenticate')).toMatch(/^Bearer .*error="invalid_token"/);
    const [audit] = await auditOf('token.rejected', token.id);
    expect(audit!.detail).toMatchObject({ reason: 'expired' });
  });

  it('refuses a revoked token, and every token made with it, with 401 saying so; revocation is audited', async () => {
    const { token, secret } = await create(operator, { name: 'to revoke', scope: 'operator' });
    const child = (await (
      await withToken(secret, '/tokens', { method: 'POST', body: { name: 'minted', scope: 'viewer' } })
    ).json()) as { token: ApiToken; secret: string };
    expect((await withToken(child.secret, '/sagas')).status).toBe(200);

    const revoke = await operator.request(`/tokens/${token.id}/revoke`, { method: 'POST' });
    expect(revoke.status).toBe(200);
    expect(await revoke.json()).toMatchObject({ id: token.id, status: 'revoked' });

    await expectProblem(await withToken(secret, '/sagas'), 401, 'API token revoked');
    await expectProblem(await withToken(child.secret, '/sagas'), 401, 'API token revoked');
    const [audit] = await auditOf('token.revoked', token.id);
    expect(audit).toMatchObject({ actorEmail: operator.email });
    expect(audit!.detail).toMatchObject({ alsoRevoked: [child.token.id] });
    expect(await auditOf('token.rejected', child.token.id)).toHaveLength(1);
  });

  it('refuses the token of a disabled account with 401 saying so, and accepts it again once enabled', async () => {
    const owner = await createTestSession(stack.database.db, stack.orchestrator.app, 'operator');
    const { secret } = await create(owner, { name: 'owner disabled', scope: 'viewer' });
    const setDisabled = (at: Date | null) =>
      stack.database.db.update(adminUsers).set({ disabledAt: at }).where(eq(adminUsers.id, owner.userId));
    await setDisabled(new Date());
    await expectProblem(await withToken(secret, '/sagas'), 401, 'Account disabled');
    await setDisabled(null);
    expect((await withToken(secret, '/sagas')).status).toBe(200);
  });

  it('refuses unknown and malformed tokens with 401, storing nothing of what was sent', async () => {
    const unknown = `sgp_${'A'.repeat(43)}`;
    await expectProblem(await withToken(unknown, '/sagas'), 401, 'Unknown API token');
    await expectProblem(await withToken('hunter2-my-password', '/sagas'), 401, 'Malformed API token');
    const rejected = await stack.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'token.rejected'), eq(auditLog.actorEmail, 'anonymous')));
    expect(rejected.map((r) => (r.detail as { reason: string }).reason)).toEqual(
      expect.arrayContaining(['unknown', 'malformed']),
    );
    expect(JSON.stringify(rejected)).not.toContain('hunter2');
    expect(JSON.stringify(rejected)).not.toContain('AAAAAAAA');
  });

  it('lets a viewer manage only their own tokens, of viewer scope; an operator sees and revokes anyone’s', async () => {
    const mine = await create(viewer, { name: 'viewer dashboard', scope: 'viewer' });
    const refused = await viewer.request('/tokens', {
      method: 'POST',
      body: { name: 'escalation', scope: 'operator' },
    });
    await expectProblem(refused, 403, 'Scope above your role');
    const operators = await create(operator, { name: 'operator only', scope: 'operator' });

    const viewerList = (await (await viewer.request('/tokens')).json()) as { items: ApiToken[] };
    expect(viewerList.items.map((t) => t.owner.id)).toEqual([viewer.userId]);
    await expectProblem(
      await viewer.request(`/tokens/${operators.token.id}/revoke`, { method: 'POST' }),
      404,
      'Token not found',
    );
    const operatorList = (await (await operator.request('/tokens')).json()) as { items: ApiToken[] };
    expect(operatorList.items.map((t) => t.id)).toContain(mine.token.id);
    expect((await operator.request(`/tokens/${mine.token.id}/revoke`, { method: 'POST' })).status).toBe(200);
    await expectProblem(await withToken(mine.secret, '/sagas'), 401, 'API token revoked');
  });

  it('pages the token list with a cursor and refuses a forged one with 422 naming cursor', async () => {
    const first = (await (await operator.request('/tokens?limit=2&status=all')).json()) as {
      items: ApiToken[];
      nextCursor: string | null;
    };
    expect(first.items).toHaveLength(2);
    const second = (await (
      await operator.request(`/tokens?limit=2&status=all&cursor=${first.nextCursor!}`)
    ).json()) as { items: ApiToken[] };
    expect(second.items.map((t) => t.id)).not.toContain(first.items[0]!.id);
    const forged = Buffer.from(JSON.stringify(['not a date', 'x'])).toString('base64url');
    const body = await expectProblem(
      await operator.request(`/tokens?cursor=${forged}`),
      422,
      'Invalid cursor',
    );
    expect(body.errors?.[0]?.field).toBe('cursor');
  });
});
