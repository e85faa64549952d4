import { randomUUID } from 'node:crypto';
import { adminSessions, adminUsers, loginThrottle } from '@sagaport/db';
import { silentLogger } from '@sagaport/rabbitmq';
import { eq } from 'drizzle-orm';
import type { Hono } from 'hono';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../../test-support/stack.js';
import { type AdminSettings, createAdminApp, defaultAdminSettings } from '@sagaport/admin-api';
import { hashPassword } from '@sagaport/admin-api/testing';
import { operatorActionsOf, sagaCatalogOf } from '../../saga/operator-actions.js';
import { sagaRegistry } from '../../saga/sagas.js';

const PASSWORD = 'a long enough password';
const PROXY = '10.0.0.1';

/** What @hono/node-server hands the app for a request that arrived on a socket from `remoteAddress`. */
const socketFrom = (remoteAddress: string) => ({ incoming: { socket: { remoteAddress } } });

describe('login throttle in PostgreSQL (3 per account, 5 per address, per 15 minutes)', () => {
  let stack: TestStack;
  const settings: AdminSettings = {
    ...defaultAdminSettings,
    loginAttemptsPerAccount: 3,
    loginAttemptsPerAddress: 5,
    trustedProxies: [PROXY],
  };
  const newApp = (): Pick<Hono, 'request'> =>
    createAdminApp({
      database: stack.database,
      broker: stack.broker.connection,
      topology: stack.broker.topology,
      operator: operatorActionsOf(stack.orchestrator.engine),
      sagas: sagaCatalogOf(sagaRegistry),
      settings,
      logger: silentLogger,
    });
  let app: Pick<Hono, 'request'>;

  beforeAll(async () => {
    stack = await startTestStack();
    app = newApp();
  });
  afterAll(async () => {
    await stack.cleanup();
  });
  beforeEach(async () => {
    await stack.database.db.delete(loginThrottle);
  });

  async function createUser() {
    const email = `user-${randomUUID().slice(0, 8)}@test.sagaport`;
    const [user] = await stack.database.db
      .insert(adminUsers)
      .values({ email, name: 'Ada', role: 'operator', passwordHash: await hashPassword(PASSWORD) })
      .returning({ id: adminUsers.id });
    return { id: user!.id, email };
  }

  /** A login over a socket from `peer` (default: a client with no proxy), claiming `forwardedFor`. */
  function attempt(
    email: string,
    password: string,
    options: { forwardedFor?: string; peer?: string; target?: Pick<Hono, 'request'> } = {},
  ) {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (options.forwardedFor) headers['x-forwarded-for'] = options.forwardedFor;
    return (options.target ?? app).request(
      'http://localhost/auth/login',
      { method: 'POST', headers, body: JSON.stringify({ email, password }) },
      socketFrom(options.peer ?? '192.0.2.10'),
    );
  }

  it('answers 429 to 30 wrong passwords sent with 30 different X-Forwarded-For from a client that is no proxy', async () => {
    const user = await createUser();
    const statuses: number[] = [];
    for (let i = 1; i <= 30; i += 1) {
      statuses.push((await attempt(user.email, 'wrong password', { forwardedFor: `203.0.113.${i}` })).status);
    }
    expect(statuses.slice(0, 3)).toEqual([401, 401, 401]);
    expect(statuses.slice(3)).toEqual(Array.from({ length: 27 }, () => 429));
  });

  it('limits a client address across accounts, whatever X-Forwarded-For it sends', async () => {
    const statuses: number[] = [];
    for (let i = 1; i <= 8; i += 1) {
      const email = `nobody-${randomUUID()}@test.sagaport`;
      statuses.push((await attempt(email, 'guess', { forwardedFor: `203.0.113.${i}` })).status);
    }
    expect(statuses).toEqual([401, 401, 401, 401, 401, 429, 429, 429]);
    // Another client is not affected.
    const user = await createUser();
    expect((await attempt(user.email, PASSWORD, { peer: '192.0.2.99' })).status).toBe(200);
  });

  it('answers 429 with Retry-After and a problem, even for the right password, and opens no session', async () => {
    const user = await createUser();
    for (let i = 0; i < 3; i += 1) expect((await attempt(user.email, 'wrong password')).status).toBe(401);
    const blocked = await attempt(user.email.toUpperCase(), PASSWORD);
    expect(blocked.status).toBe(429);
    expect(blocked.headers.get('content-type')).toBe('application/problem+json');
    const retryAfter = Number(blocked.headers.get('retry-after'));
    expect(retryAfter).toBeGreaterThan(890);
    expect(retryAfter).toBeLessThanOrEqual(900);
    expect(
      await stack.database.db.select().from(adminSessions).where(eq(adminSessions.userId, user.id)),
    ).toEqual([]);
  });

  it('limits an account across addresses: a trusted proxy forwarding for many clients', async () => {
    const user = await createUser();
    const statuses: number[] = [];
    for (let i = 1; i <= 6; i += 1) {
      const response = await attempt(user.email, 'wrong password', {
        peer: PROXY,
        forwardedFor: `198.51.100.${i}`,
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual([401, 401, 401, 429, 429, 429]);
    // The proxy's other clients can still sign in to other accounts: the addresses were told apart.
    const other = await createUser();
    expect((await attempt(other.email, PASSWORD, { peer: PROXY, forwardedFor: '198.51.100.1' })).status).toBe(
      200,
    );
  });

  it('shares the counters between two orchestrators', async () => {
    const second = newApp();
    const user = await createUser();
    expect((await attempt(user.email, 'wrong password', { target: app })).status).toBe(401);
    expect((await attempt(user.email, 'wrong password', { target: second })).status).toBe(401);
    expect((await attempt(user.email, 'wrong password', { target: app })).status).toBe(401);
    expect((await attempt(user.email, PASSWORD, { target: second })).status).toBe(429);
    expect((await attempt(user.email, PASSWORD, { target: app })).status).toBe(429);
  });

  it("forgets an account's failures after a successful login", async () => {
    const user = await createUser();
    expect((await attempt(user.email, 'wrong password')).status).toBe(401);
    expect((await attempt(user.email, 'wrong password')).status).toBe(401);
    expect((await attempt(user.email, PASSWORD, { peer: '192.0.2.11' })).status).toBe(200);
    for (let i = 0; i < 3; i += 1) {
      expect((await attempt(user.email, 'wrong password', { peer: '192.0.2.11' })).status).toBe(401);
    }
    expect((await attempt(user.email, 'wrong password', { peer: '192.0.2.11' })).status).toBe(429);
  });

  it('keeps no typed email in the counters', async () => {
    const typed = `secret-${randomUUID()}@test.sagaport`;
    await attempt(typed, 'wrong password');
    const keys = (await stack.database.db.select({ key: loginThrottle.key }).from(loginThrottle)).map(
      (r) => r.key,
    );
    expect(keys.length).toBeGreaterThan(0);
    expect(JSON.stringify(keys)).not.toContain('secret-');
  });
});
