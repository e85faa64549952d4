import { randomUUID } from 'node:crypto';
import { auditLog } from '@sagaport/db';
import { and, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSession, type TestSession } from '@sagaport/admin-api/testing';
import { startTestStack, type TestStack } from '../../test-support/stack.js';

interface JobPage {
  id: string;
  status: string;
  total: number;
  selector: Record<string, unknown>;
  items: { deadLetterId: string; status: string }[];
  nextCursor: string | null;
}
interface Problem {
  status: number;
  detail: string;
  errors?: { field: string; message: string }[];
  [extension: string]: unknown;
}

describe('bulk replay job routes: validated, bounded per operator, paged (real PostgreSQL)', () => {
  let stack: TestStack;
  const OPEN_JOB_LIMIT = 2;

  beforeAll(async () => {
    // One replay a second at most: the jobs here are about their records, not their replays.
    stack = await startTestStack(
      {},
      { openReplayJobsPerOperator: OPEN_JOB_LIMIT, replayRatePerSecond: 1, replayBudgetPerSecond: 1 },
    );
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  const operator = () => createTestSession(stack.database.db, stack.orchestrator.app, 'operator');

  /** `count` open dead letters of `order.confirmed` events (replayable to the test topology). */
  async function deadLetters(count: number): Promise<string[]> {
    const rows = await stack.database.db.execute<{ id: string }>(sql`
      insert into dead_letters (failure_key, dead_letter_queue, original_exchange, original_routing_key,
        original_queue, message_id, message_type, headers, properties, body, body_encoding, error_class,
        error_name, error_message, attempts, first_failed_at, last_failed_at, failed_by, fingerprint,
        fingerprint_text)
      select gen_random_uuid()::text, 'events.dlq', ${stack.broker.topology.exchanges.events}, 'order.confirmed',
             'events', gen_random_uuid()::text, 'order.confirmed', '{}', '{}',
             json_build_object('orderId', gen_random_uuid())::text, 'utf8', 'transient', 'TransientError',
             'timed out', 5, now(), now() - n * interval '1 ms', 'test', 'fp-' || ${randomUUID()}, 'timed out'
        from generate_series(1, ${count}) as n
      returning id`);
    return rows.map((r) => r.id);
  }

  async function start(session: TestSession, body: unknown) {
    return session.request('/replay-jobs', { method: 'POST', body });
  }
  async function cancel(session: TestSession, id: string) {
    expect((await session.request(`/replay-jobs/${id}/cancel`, { method: 'POST' })).status).toBe(200);
  }

  it('refuses ids that name no dead letter: 422 naming each one, and starts nothing', async () => {
    const session = await operator();
    const known = await deadLetters(2);
    const unknown = [randomUUID(), randomUUID()];
    const response = await start(session, { ids: [known[0], unknown[0], known[1], unknown[1]] });
    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await response.json()) as Problem;
    expect(problem.errors).toEqual([
      { field: 'ids.1', message: `no dead letter ${unknown[0]}` },
      { field: 'ids.3', message: `no dead letter ${unknown[1]}` },
    ]);
    expect(problem.unknownIds).toEqual(unknown);
    expect(problem.detail).toMatch(/remove them/);
    const jobs = (await (await session.request('/replay-jobs')).json()) as { items: { createdBy: string }[] };
    expect(jobs.items.filter((j) => j.createdBy === session.email)).toEqual([]);
  });

  it('bounds the open jobs of one operator: 409 listing them and what to do; a cancelled job frees its place', async () => {
    const session = await operator();
    const opened: string[] = [];
    for (let i = 0; i < OPEN_JOB_LIMIT; i += 1) {
      const response = await start(session, { ids: await deadLetters(3) });
      expect(response.status).toBe(202);
      opened.push(((await response.json()) as { id: string }).id);
    }
    const refused = await start(session, { ids: await deadLetters(3) });
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await refused.json()) as Problem;
    expect(problem.openJobIds).toEqual(opened);
    expect(problem.detail).toMatch(/cancel one/);
    // Another operator is not held back by this one's jobs.
    expect((await start(await operator(), { ids: await deadLetters(1) })).status).toBe(202);
    await cancel(session, opened[0]!);
    expect((await start(session, { ids: await deadLetters(1) })).status).toBe(202);
  });

  it('a job of 10,000 dead letters: its GET is small and pages the items; lists and audit rows summarize what it selected', async () => {
    const session = await operator();
    const ids = await deadLetters(10_000);
    const created = await start(session, { ids, ratePerSecond: 1 });
    expect(created.status).toBe(202);
    const job = (await created.json()) as JobPage;
    await cancel(session, job.id);

    const first = await session.request(`/replay-jobs/${job.id}`);
    const text = await first.text();
    expect(text.length, 'the first page is a few kilobytes, not megabytes').toBeLessThan(20_000);
    const page = JSON.parse(text) as JobPage;
    expect(page).toMatchObject({ id: job.id, total: 10_000, selector: { kind: 'ids', count: 10_000 } });
    expect(page.items).toHaveLength(50);
    expect(page.nextCursor).not.toBeNull();

    // Every item once, in selection order, page by page.
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : '';
      const next = (await (
        await session.request(`/replay-jobs/${job.id}?limit=200${query}`)
      ).json()) as JobPage;
      expect(next.items.length).toBeLessThanOrEqual(200);
      seen.push(...next.items.map((i) => i.deadLetterId));
      cursor = next.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);
    // Cancelled at once: at most a replay or two happened, the rest is pending.
    const pending = (await (
      await session.request(`/replay-jobs/${job.id}?status=pending`)
    ).json()) as JobPage;
    expect(pending.items).toHaveLength(50);
    expect(pending.items.every((i) => i.status === 'pending')).toBe(true);
    const bad = await session.request(`/replay-jobs/${job.id}?cursor=bm90LWEtY3Vyc29y`);
    expect(bad.status).toBe(422);

    const list = await session.request('/replay-jobs?limit=200');
    const listText = await list.text();
    const listed = (JSON.parse(listText) as { items: JobPage[] }).items.find((j) => j.id === job.id)!;
    expect(listed.selector).toEqual({ kind: 'ids', count: 10_000 });
    expect(listText).not.toContain(ids[0]);

    const [audit] = await stack.database.db
      .select({ detail: auditLog.detail })
      .from(auditLog)
      .where(and(eq(auditLog.action, 'dead-letter.bulk-replay'), eq(auditLog.targetId, job.id)));
    expect(audit!.detail).toEqual({
      total: 10_000,
      ratePerSecond: 1,
      selector: { kind: 'ids', count: 10_000 },
    });
  });
});
