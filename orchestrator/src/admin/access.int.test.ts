// Access rules of every admin route, found by walking the OpenAPI document: new routes are covered when they are added.
import { randomUUID } from 'node:crypto';
import {
  adminSessions,
  adminUsers,
  auditLog,
  checkoutRequests,
  deadLetters,
  outbox,
  replayJobs,
  sagaEvents,
  sagaInstances,
} from '@sagaport/db';
import { count, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSession, createTestToken, type TestSession } from '@sagaport/admin-api/testing';
import { startTestStack, type TestStack } from '../test-support/stack.js';

interface Operation {
  readonly method: string;
  readonly path: string;
  readonly hasBody: boolean;
  readonly queryParameters: readonly string[];
}

interface OpenApiDocument {
  paths: Record<
    string,
    Record<string, { parameters?: { name: string; in: string }[]; requestBody?: unknown }>
  >;
}

/** Mutations that do not follow the operator + CSRF rule, and why. Each must exist in the document. */
const VIEWER_MAY_CALL: Record<string, string> = {
  'post /api/admin/auth/login': 'signing in needs no session at all',
  'post /api/admin/auth/logout': 'every signed-in user may sign out, a viewer too',
  'post /api/admin/account/password': 'every user changes their own password, a viewer too',
  'delete /api/admin/account/sessions/{sessionId}': 'every user ends their own sessions, a viewer too',
  'post /api/admin/tokens': 'a viewer may create viewer-scoped tokens (the route caps the scope at the role)',
  'post /api/admin/tokens/{id}/revoke': 'a viewer may revoke their own tokens (the route checks the owner)',
};
const NEEDS_NO_SESSION = new Set(['post /api/admin/auth/login']);

const HOSTILE_VALUES = [
  "' OR 1=1 --",
  "'; drop table admin.users; --",
  '<script>alert(1)</script>',
  '%',
  '_',
  '\\',
  "x'".repeat(5_000),
  'ü😀',
  '-1',
  '1e309',
  '99999999999999999999',
  '0000-01-01T00:00:00Z',
  '2024-02-30T00:00:00Z',
];

/** The admin tables and the saga tables a read must never change. */
const WATCHED_TABLES: Record<string, PgTable> = {
  'admin.users': adminUsers,
  'admin.sessions': adminSessions,
  'admin.audit_log': auditLog,
  'admin.replay_jobs': replayJobs,
  'saga.instances': sagaInstances,
  'saga.events': sagaEvents,
  'saga.checkout_requests': checkoutRequests,
  dead_letters: deadLetters,
  outbox,
};

describe('admin API access rules, for every operation in the OpenAPI document', () => {
  let stack: TestStack;
  let operator: TestSession;
  let viewer: TestSession;
  let operations: Operation[];

  beforeAll(async () => {
    stack = await startTestStack();
    operator = await createTestSession(stack.database.db, stack.orchestrator.app, 'operator');
    viewer = await createTestSession(stack.database.db, stack.orchestrator.app, 'viewer');
    const response = await stack.orchestrator.app.request('/api/admin/openapi.json');
    expect(response.status).toBe(200);
    operations = listOperations((await response.json()) as OpenApiDocument);
    // Something for the filters to run against.
    await stack.database.db.insert(auditLog).values({
      actorEmail: 'seed@test.sagaport',
      action: 'test.seed',
      targetType: 'thing',
      targetId: 'seed',
    });
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  const key = (op: Operation) => `${op.method} ${op.path}`;
  const mutations = () => operations.filter((op) => op.method !== 'get' && op.method !== 'head');

  async function send(op: Operation, headers: Record<string, string>): Promise<Response> {
    const path = op.path.replace(/\{[^}]+\}/g, () => randomUUID());
    return stack.orchestrator.app.request(path, {
      method: op.method.toUpperCase(),
      headers: op.hasBody ? { ...headers, 'content-type': 'application/json' } : headers,
      ...(op.hasBody ? { body: '{}' } : {}),
    });
  }

  const auditRows = async () => (await stack.database.db.select({ n: count() }).from(auditLog))[0]!.n;

  /** Status and content type of a problem response, or what was wrong with it. */
  async function problemStatus(response: Response): Promise<string> {
    const type = response.headers.get('content-type');
    if (type !== 'application/problem+json') return `${response.status} with content-type ${type}`;
    const body = (await response.json()) as { status?: number };
    return body.status === response.status
      ? String(response.status)
      : `${response.status}, body says ${body.status}`;
  }

  it('finds the auth, user and audit operations in the document, and every exemption still exists', () => {
    const keys = operations.map(key);
    expect(keys).toEqual(
      expect.arrayContaining([
        'post /api/admin/auth/login',
        'post /api/admin/auth/logout',
        'get /api/admin/auth/me',
        'get /api/admin/users',
        'post /api/admin/users',
        'get /api/admin/audit',
      ]),
    );
    for (const exempt of Object.keys(VIEWER_MAY_CALL)) expect(keys).toContain(exempt);
  });

  it('refuses every mutation to a viewer holding a valid CSRF token (403 problem), and audits nothing', async () => {
    const refused: Record<string, string> = {};
    const before = await auditRows();
    for (const op of mutations().filter((o) => !(key(o) in VIEWER_MAY_CALL))) {
      refused[key(op)] = await problemStatus(
        await send(op, { cookie: viewer.cookie, 'x-csrf-token': viewer.csrfToken }),
      );
    }
    expect(Object.keys(refused).length).toBeGreaterThan(0);
    expect(refused).toEqual(Object.fromEntries(Object.keys(refused).map((k) => [k, '403'])));
    expect(await auditRows()).toBe(before);
  });

  it('refuses every mutation to an operator without the CSRF header (403 problem), and audits nothing', async () => {
    const refused: Record<string, string> = {};
    const before = await auditRows();
    for (const op of mutations().filter((o) => !NEEDS_NO_SESSION.has(key(o)))) {
      refused[key(op)] = await problemStatus(await send(op, { cookie: operator.cookie }));
    }
    expect(refused).toEqual(Object.fromEntries(Object.keys(refused).map((k) => [k, '403'])));
    expect(await auditRows()).toBe(before);
  });

  it('refuses every mutation to a viewer-scoped API token, which needs no CSRF header (403 problem), and audits only the refusals', async () => {
    const token = await createTestToken(stack.database.db, operator.userId, 'viewer');
    const refused: Record<string, string> = {};
    for (const op of mutations().filter((o) => !(key(o) in VIEWER_MAY_CALL))) {
      refused[key(op)] = await problemStatus(await send(op, { authorization: `Bearer ${token.secret}` }));
    }
    expect(Object.keys(refused).length).toBeGreaterThan(0);
    expect(refused).toEqual(Object.fromEntries(Object.keys(refused).map((k) => [k, '403'])));
    const audited = await stack.database.db
      .select({ action: auditLog.action })
      .from(auditLog)
      .where(sql`${auditLog.targetId} = ${token.id}`);
    expect(audited.map((row) => row.action)).toEqual(Object.keys(refused).map(() => 'token.refused'));
  });

  it('refuses every operation but login to an expired API token with 401 saying it expired', async () => {
    const token = await createTestToken(stack.database.db, operator.userId, 'operator', -1_000);
    const refused: Record<string, string> = {};
    for (const op of operations.filter((o) => !NEEDS_NO_SESSION.has(key(o)))) {
      const response = await send(op, { authorization: `Bearer ${token.secret}` });
      const status = await problemStatus(response.clone());
      refused[key(op)] = `${status} ${((await response.json()) as { title?: string }).title}`;
    }
    // The session routes read the cookie only: a token is no session there.
    const sessionOnly = new Set(['post /api/admin/auth/logout', 'get /api/admin/auth/me']);
    expect(refused).toEqual(
      Object.fromEntries(
        Object.keys(refused).map((k) => [
          k,
          sessionOnly.has(k) ? '401 Not signed in' : '401 API token expired',
        ]),
      ),
    );
  });

  it('refuses every operation but login without a session cookie (401 problem)', async () => {
    const refused: Record<string, string> = {};
    for (const op of operations.filter((o) => !NEEDS_NO_SESSION.has(key(o)))) {
      refused[key(op)] = await problemStatus(await send(op, {}));
    }
    expect(Object.keys(refused)).toContain('get /api/admin/audit');
    expect(refused).toEqual(Object.fromEntries(Object.keys(refused).map((k) => [k, '401'])));
  });

  /** Sends `value` in each query parameter of each GET, one at a time; returns what went wrong. */
  async function probeQueries(value: string): Promise<string[]> {
    const failures: string[] = [];
    for (const op of operations.filter((o) => o.method === 'get')) {
      const allowed = /\{/.test(op.path) ? [200, 404, 422] : [200, 422];
      for (const name of op.queryParameters) {
        const path = op.path.replace(/\{[^}]+\}/g, () => randomUUID());
        const response = await stack.orchestrator.app.request(
          `${path}?${new URLSearchParams({ [name]: value }).toString()}`,
          {
            headers: { cookie: operator.cookie },
          },
        );
        const type = response.headers.get('content-type') ?? '';
        const label = `${key(op)} ?${name}=${value.slice(0, 30)}`;
        if (!allowed.includes(response.status)) failures.push(`${label}: status ${response.status}`);
        if (!/^application\/(problem\+)?json\b/.test(type)) failures.push(`${label}: content-type ${type}`);
        try {
          JSON.parse(await response.text());
        } catch {
          failures.push(`${label}: body is not JSON`);
        }
      }
    }
    return failures;
  }

  async function snapshotTables(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    for (const [name, table] of Object.entries(WATCHED_TABLES)) {
      const [exists] = await stack.database.db.execute<{ found: string | null }>(
        sql`select to_regclass(${name})::text as found`,
      );
      expect(exists?.found, `${name} exists`).not.toBeNull();
      counts[name] = (await stack.database.db.select({ n: count() }).from(table))[0]!.n;
    }
    return counts;
  }

  it('treats hostile query values as inert data: 200 or 422 JSON, never 500 or HTML, and no table changes', async () => {
    const probed = operations.filter((o) => o.method === 'get').flatMap((o) => o.queryParameters);
    expect(probed.length).toBeGreaterThan(0);
    const before = await snapshotTables();
    const failures: string[] = [];
    for (const value of HOSTILE_VALUES) failures.push(...(await probeQueries(value)));
    expect(failures).toEqual([]);
    expect(await snapshotTables()).toEqual(before);
  });

  it('answers a crafted cursor on every paged list with 422 problem naming `cursor`, never 500', async () => {
    const encode = (key: unknown) => Buffer.from(JSON.stringify(key)).toString('base64url');
    const crafted = [
      encode(['not a time', randomUUID()]),
      encode(['2030-05-06T07:08:09.123Z', "1' or '1'='1"]),
      encode(['2030-02-31T00:00:00.000Z', randomUUID()]),
      encode([1, 2]),
      encode({ at: 'x' }),
    ];
    const paged = operations.filter((o) => o.method === 'get' && o.queryParameters.includes('cursor'));
    expect(paged.map(key)).toEqual(
      expect.arrayContaining(['get /api/admin/dead-letters', 'get /api/admin/sagas']),
    );
    const [job] = await stack.database.db
      .insert(replayJobs)
      .values({
        createdById: operator.userId,
        createdBy: 'operator@example.com',
        status: 'completed',
        selector: { kind: 'ids', count: 0 },
        ratePerSecond: 10,
        total: 0,
      })
      .returning({ id: replayJobs.id });
    const jobId = job!.id;
    const answers: Record<string, string> = {};
    for (const op of paged) {
      for (const value of crafted) {
        // A list under one resource (a replay job's items) is asked of a real one.
        const path = op.path.replace('{id}', jobId);
        const response = await stack.orchestrator.app.request(`${path}?cursor=${value}`, {
          headers: { cookie: operator.cookie },
        });
        const status = await problemStatus(response.clone());
        const body = (await response.json()) as { errors?: { field: string }[] };
        const fields = (body.errors ?? []).map((e) => e.field).join(',');
        answers[`${key(op)} ?cursor=${value}`] = `${status} ${fields}`;
      }
    }
    expect(answers).toEqual(Object.fromEntries(Object.keys(answers).map((k) => [k, '422 cursor'])));
  });

  it('answers a NUL character in any query parameter with 422 (PostgreSQL cannot take it in text), never 500', async () => {
    const before = await snapshotTables();
    expect(await probeQueries('ada\u0000@example.com')).toEqual([]);
    expect(await snapshotTables()).toEqual(before);
  });
});

function listOperations(document: OpenApiDocument): Operation[] {
  return Object.entries(document.paths).flatMap(([path, methods]) =>
    Object.entries(methods).map(([method, op]) => ({
      method,
      path,
      hasBody: op.requestBody !== undefined,
      queryParameters: (op.parameters ?? []).filter((p) => p.in === 'query').map((p) => p.name),
    })),
  );
}
