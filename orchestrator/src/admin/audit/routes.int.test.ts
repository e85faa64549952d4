import { randomUUID } from 'node:crypto';
import { auditLog } from '@sagaport/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSession, cursor, type TestSession } from '@sagaport/admin-api/testing';
import { startTestStack, type TestStack } from '../../test-support/stack.js';

interface AuditEntry {
  id: number;
  at: string;
  actorEmail: string;
  action: string;
  targetType: string;
  targetId: string | null;
  detail: Record<string, unknown> | null;
}
interface AuditPage {
  items: AuditEntry[];
  nextCursor: string | null;
}

describe('GET /audit (real PostgreSQL)', () => {
  let stack: TestStack;
  let viewer: TestSession;

  beforeAll(async () => {
    stack = await startTestStack();
    viewer = await createTestSession(stack.database.db, stack.orchestrator.app, 'viewer');
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  /** Inserts rows under a fresh action name, so each test sees only its own rows when it filters on it. */
  async function seed(rows: { actorEmail?: string; at?: string; targetType?: string; targetId?: string }[]) {
    const action = `test.${randomUUID().slice(0, 8)}`;
    await stack.database.db.insert(auditLog).values(
      rows.map((row) => ({
        actorEmail: row.actorEmail ?? 'ada@example.com',
        action,
        targetType: row.targetType ?? 'thing',
        targetId: row.targetId ?? null,
        detail: { note: 'seeded' },
        ...(row.at ? { at: new Date(row.at) } : {}),
      })),
    );
    return action;
  }

  async function list(query: Record<string, string>): Promise<AuditPage> {
    const response = await viewer.request(`/audit?${new URLSearchParams(query).toString()}`);
    expect(response.status).toBe(200);
    return (await response.json()) as AuditPage;
  }

  async function all(query: Record<string, string>, limit: number): Promise<AuditEntry[]> {
    const seen: AuditEntry[] = [];
    let next: string | null = null;
    do {
      const page: AuditPage = await list({
        ...query,
        limit: String(limit),
        ...(next ? { cursor: next } : {}),
      });
      expect(page.items.length).toBeLessThanOrEqual(limit);
      seen.push(...page.items);
      next = page.nextCursor;
    } while (next);
    return seen;
  }

  it('answers entries with the contract shape, newest first', async () => {
    const action = await seed([
      { at: '2024-01-01T10:00:00Z', targetId: 'a' },
      { at: '2024-01-01T12:00:00Z', targetId: 'b' },
    ]);
    const page = await list({ action });
    expect(page.nextCursor).toBeNull();
    expect(page.items.map((e) => e.targetId)).toEqual(['b', 'a']);
    expect(page.items[0]).toEqual({
      id: expect.any(Number) as number,
      at: '2024-01-01T12:00:00.000Z',
      actorEmail: 'ada@example.com',
      action,
      targetType: 'thing',
      targetId: 'b',
      detail: { note: 'seeded' },
    });
  });

  it('pages through rows sharing one timestamp and rows microseconds apart: every row once, in (at, id) order', async () => {
    // One insert: every row gets the same `now()`; then rows within one millisecond.
    const action = await seed(Array.from({ length: 7 }, () => ({})));
    await stack.database.db.execute(sql`
      insert into admin.audit_log (at, actor_email, action, target_type)
      select timestamptz '2030-01-01 00:00:00.000100+00' + n * interval '1 microsecond', 'micro@example.com', ${action}, 'thing'
      from generate_series(1, 5) as n`);
    const direct = await stack.database.db.execute<{ id: string }>(
      sql`select id from admin.audit_log where action = ${action} order by at desc, id desc`,
    );
    const expected = direct.map((row) => Number(row.id));
    expect(expected).toHaveLength(12);
    for (const limit of [1, 3, 5, 12, 50]) {
      const ids = (await all({ action }, limit)).map((e) => e.id);
      expect(ids, `limit ${limit}`).toEqual(expected);
    }
    const first = await list({ action, limit: '12' });
    expect(first.nextCursor).toBeNull();
  });

  it('filters by actor: a case-insensitive substring in which %, _ and \\ are plain characters', async () => {
    const action = await seed([
      { actorEmail: 'grace.hopper@navy.example' },
      { actorEmail: 'ada@example.com' },
      { actorEmail: '100%_sure\\@example.com' },
      { actorEmail: '100xxsure@example.com' },
    ]);
    const actors = async (actor: string) =>
      (await list({ action, actor })).items.map((e) => e.actorEmail).sort();
    expect(await actors('HOPPER')).toEqual(['grace.hopper@navy.example']);
    expect(await actors('%')).toEqual(['100%_sure\\@example.com']);
    expect(await actors('_')).toEqual(['100%_sure\\@example.com']);
    expect(await actors('0%_s')).toEqual(['100%_sure\\@example.com']);
    expect(await actors('\\')).toEqual(['100%_sure\\@example.com']);
    expect(await actors('EXAMPLE.com')).toHaveLength(3);
    expect(await actors("' OR 1=1 --")).toEqual([]);
  });

  it('filters by action, target type, target id and an inclusive time range', async () => {
    const action = await seed([
      { at: '2024-03-01T00:00:00Z', targetType: 'dead-letter', targetId: 'dl-1' },
      { at: '2024-03-02T00:00:00Z', targetType: 'dead-letter', targetId: 'dl-2' },
      { at: '2024-03-03T00:00:00Z', targetType: 'saga', targetId: 'dl-1' },
    ]);
    const ids = async (query: Record<string, string>) =>
      (await list({ action, ...query })).items.map((e) => `${e.targetType}:${e.targetId}`);
    expect(await ids({})).toHaveLength(3);
    expect(await ids({ targetType: 'dead-letter' })).toEqual(['dead-letter:dl-2', 'dead-letter:dl-1']);
    expect(await ids({ targetId: 'dl-1' })).toEqual(['saga:dl-1', 'dead-letter:dl-1']);
    expect(await ids({ targetType: 'dead-letter', targetId: 'dl-1' })).toEqual(['dead-letter:dl-1']);
    expect(await ids({ from: '2024-03-02T00:00:00Z' })).toEqual(['saga:dl-1', 'dead-letter:dl-2']);
    expect(await ids({ to: '2024-03-02T00:00:00Z' })).toEqual(['dead-letter:dl-2', 'dead-letter:dl-1']);
    expect(await ids({ from: '2024-03-01T12:00:00+02:00', to: '2024-03-02T12:00:00Z' })).toEqual([
      'dead-letter:dl-2',
    ]);
    expect((await list({ action: `${action}x` })).items).toEqual([]);
  });

  it('defaults to 50 entries a page', async () => {
    const action = await seed(Array.from({ length: 51 }, () => ({})));
    const page = await list({ action });
    expect(page.items).toHaveLength(50);
    expect(page.nextCursor).not.toBeNull();
  });

  it('answers 422 naming the field for a bad limit, cursor, time, range or a NUL character', async () => {
    const cases: [Record<string, string>, string][] = [
      [{ limit: '0' }, 'limit'],
      [{ limit: '201' }, 'limit'],
      [{ limit: 'ten' }, 'limit'],
      [{ cursor: 'not-a-cursor' }, 'cursor'],
      [{ cursor: cursor.encode(['yesterday', 1]) }, 'cursor'],
      [{ cursor: cursor.encode(['2024-01-01T00:00:00.000000Z']) }, 'cursor'],
      [{ cursor: cursor.encode(['2024-01-01T00:00:00.000000Z', 1.5]) }, 'cursor'],
      [{ cursor: cursor.encode(['2024-02-30T00:00:00.000000Z', 1]) }, 'cursor'],
      [{ cursor: cursor.encode(['0000-01-01T00:00:00.000000Z', 1]) }, 'cursor'],
      [{ from: 'last tuesday' }, 'from'],
      [{ from: '2024-02-30T00:00:00Z' }, 'from'],
      [{ from: '0000-01-01T00:00:00Z' }, 'from'],
      [{ to: '0001-01-01T00:00:00+01:00' }, 'to'],
      [{ to: '9999-12-31T23:00:00-02:00' }, 'to'],
      [{ from: '2024-02-01T00:00:00Z', to: '2024-01-01T00:00:00Z' }, 'from'],
      [{ actor: 'ada\u0000' }, 'actor'],
      [{ action: '\u0000' }, 'action'],
      [{ targetId: 'x'.repeat(10_000) }, 'targetId'],
    ];
    for (const [query, field] of cases) {
      const response = await viewer.request(`/audit?${new URLSearchParams(query).toString()}`);
      expect(response.status, JSON.stringify(query)).toBe(422);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      const body = (await response.json()) as { errors: { field: string }[] };
      expect(body.errors.map((e) => e.field)).toContain(field);
    }
  });

  it('needs a session (401) and is readable by a viewer', async () => {
    const anonymous = await stack.orchestrator.app.request('/api/admin/audit');
    expect(anonymous.status).toBe(401);
    expect((await viewer.request('/audit')).status).toBe(200);
  });
});
