import { randomUUID } from 'node:crypto';
import { sagaInstances } from '@sagaport/db';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSession, type SagaSummary, type TestSession } from '@sagaport/admin-api/testing';
import { startTestStack, type TestStack } from '../../test-support/stack.js';
import {
  answerAwaited,
  failedSaga,
  insertDeadLetter,
  startCheckout,
} from '../../test-support/saga-fixtures.js';

interface Page {
  items: SagaSummary[];
  nextCursor: string | null;
}

describe('GET /api/admin/sagas (real PostgreSQL and RabbitMQ, no workers)', () => {
  let stack: TestStack;
  let viewer: TestSession;
  beforeAll(async () => {
    stack = await startTestStack();
    viewer = await createTestSession(stack.database.db, stack.orchestrator.app, 'viewer');
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  const start = (customerId: string, email?: string) =>
    startCheckout(stack.orchestrator.app, customerId, email);
  const answer = (sagaId: string, outcome: 'succeeded' | 'failed') =>
    answerAwaited(stack.database.db, stack.orchestrator.engine, sagaId, outcome);

  async function list(query: Record<string, string | number>): Promise<Page> {
    const params = new URLSearchParams(
      Object.entries(query).map(([k, v]): [string, string] => [k, String(v)]),
    );
    const response = await viewer.request(`/sagas?${params.toString()}`);
    expect(response.status).toBe(200);
    return (await response.json()) as Page;
  }
  const ids = (page: Page) => page.items.map((s) => s.id);

  async function expect422(query: string, field: string) {
    const response = await viewer.request(`/sagas?${query}`);
    expect(response.status).toBe(422);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await response.json()) as { errors?: { field: string }[] };
    expect(problem.errors?.map((e) => e.field)).toContain(field);
  }

  it('is behind the session gate', async () => {
    expect((await stack.orchestrator.app.request('/api/admin/sagas')).status).toBe(401);
  });

  it('finds a saga by its id, its order id, its customer id, and its email in any case; by nothing else', async () => {
    const customer = `cust-${randomUUID()}`;
    const email = `Ada.${randomUUID().slice(0, 8)}@Example.com`;
    const sagaId = await start(customer, email);
    await start(`cust-${randomUUID()}`);
    const [{ orderId }] = (await stack.database.db
      .select({ orderId: sql<string>`${sagaInstances.businessKeys} ->> 'orderId'` })
      .from(sagaInstances)
      .where(eq(sagaInstances.id, sagaId))) as [{ orderId: string }];
    for (const q of [sagaId, orderId, customer, email, email.toLowerCase(), email.toUpperCase()]) {
      expect(ids(await list({ q }))).toEqual([sagaId]);
    }
    // LIKE wildcards and SQL in the text are inert: they match only themselves.
    for (const q of [
      '%',
      `_${email.slice(1)}`,
      `${email.slice(0, 5)}%`,
      "' or '1'='1",
      customer.slice(0, -1),
    ]) {
      expect(ids(await list({ q }))).toEqual([]);
    }
  });

  it('summarises each saga: step, order, amount, deadline, open dead letters', async () => {
    const customer = `cust-${randomUUID()}`;
    const sagaId = await start(customer);
    for (const status of ['open', 'open', 'discarded'] as const) {
      await insertDeadLetter(stack.database.db, {
        sagaId,
        messageType: 'order.create',
        messageId: randomUUID(),
        status,
      });
    }
    const [summary] = (await list({ q: customer })).items;
    expect(summary).toMatchObject({
      id: sagaId,
      status: 'running',
      currentStep: 'createOrder',
      customerId: customer,
      email: `${customer}@example.com`,
      totalCents: 1000,
      currency: 'EUR',
      endedAt: null,
      failureReason: null,
      stuck: false,
      openDeadLetters: 2,
    });
    expect(Date.parse(summary!.deadlineAt!)).toBeGreaterThan(Date.now());
  });

  it('filters by status, step and age', async () => {
    const customer = `cust-${randomUUID()}`;
    const [atCreate, atReserve, compensated, old] = [
      await start(customer),
      await start(customer),
      await start(customer),
      await start(customer),
    ];
    await answer(atReserve, 'succeeded');
    await answer(compensated, 'failed');
    await stack.database.db
      .update(sagaInstances)
      .set({ createdAt: sql`now() - interval '2 hours'` })
      .where(eq(sagaInstances.id, old));
    const q = customer;
    expect(new Set(ids(await list({ q, step: 'createOrder' })))).toEqual(new Set([atCreate, old]));
    // The order and the stock hold are one stage: a saga waits on both until the order is taken.
    expect(new Set(ids(await list({ q, step: 'reserveStock' })))).toEqual(
      new Set([atCreate, atReserve, old]),
    );
    expect(ids(await list({ q, status: 'compensated' }))).toEqual([compensated]);
    expect(ids(await list({ q, status: 'running' }))).toEqual([atReserve, atCreate, old]);
    expect(ids(await list({ q, olderThanSeconds: 3600 }))).toEqual([old]);
    expect(ids(await list({ q, olderThanSeconds: 3600, status: 'compensated' }))).toEqual([]);
  });

  it('lists failed sagas and sagas past their deadline as stuck, and only those', async () => {
    const customer = `cust-${randomUUID()}`;
    const { db } = stack.database;
    const failed = await failedSaga(stack.orchestrator.app, db, stack.orchestrator.engine, customer);
    const late = await start(customer);
    const onTime = await start(customer);
    // The timeout scanner would resend the late saga's command at once: hold it back (it cannot
    // append to the event log while we hold this lock), as when no orchestrator is scanning.
    await db.transaction(async (tx) => {
      await tx.execute(sql`lock table saga.events in share mode`);
      await db
        .update(sagaInstances)
        .set({ deadlineAt: sql`now() - interval '1 minute'` })
        .where(eq(sagaInstances.id, late));
      expect(ids(await list({ q: customer, stuck: 'true' }))).toEqual([late, failed]);
      expect(ids(await list({ q: customer, stuck: 'false' }))).toEqual([onTime]);
      const all = await list({ q: customer });
      expect(all.items.map((s) => [s.id, s.stuck])).toEqual([
        [onTime, false],
        [late, true],
        [failed, true],
      ]);
    });
  });

  it('pages newest first with no gap and no repeat, ties and microseconds included', async () => {
    const customer = `cust-${randomUUID()}`;
    const created: string[] = [];
    for (let i = 0; i < 7; i += 1) created.push(await start(customer));
    // Three sagas share one instant; three more are 1, 2 and 3 µs later (one millisecond for all six).
    const offsets = [0, 0, 0, 1, 2, 3, 1000];
    for (const [i, id] of created.entries()) {
      await stack.database.db
        .update(sagaInstances)
        .set({
          createdAt: sql`timestamptz '2030-01-01 00:00:00.000100+00' + ${offsets[i]}::int * interval '1 microsecond'`,
        })
        .where(eq(sagaInstances.id, id));
    }
    const expected = created
      .map((id, i) => ({ id, at: offsets[i]! }))
      .sort((a, b) => b.at - a.at || (a.id < b.id ? 1 : -1))
      .map((s) => s.id);
    const seen: string[] = [];
    let page = await list({ q: customer, limit: 2 });
    const sizes = [page.items.length];
    seen.push(...ids(page));
    while (page.nextCursor) {
      page = await list({ q: customer, limit: 2, cursor: page.nextCursor });
      sizes.push(page.items.length);
      seen.push(...ids(page));
    }
    expect(sizes).toEqual([2, 2, 2, 1]);
    expect(seen).toEqual(expected);
  });

  it('refuses bad filters with 422 naming the field', async () => {
    await expect422('cursor=not-a-cursor', 'cursor');
    await expect422(`cursor=${Buffer.from('["x"]').toString('base64url')}`, 'cursor');
    await expect422('q=ada%00', 'q');
    await expect422('cursor=%00', 'cursor');
    await expect422('status=lost', 'status');
    await expect422('step=dropTables', 'step');
    await expect422('stuck=maybe', 'stuck');
    await expect422('limit=0', 'limit');
    await expect422('limit=201', 'limit');
    await expect422('olderThanSeconds=-1', 'olderThanSeconds');
    await expect422(`q=${'x'.repeat(321)}`, 'q');
  });
});
