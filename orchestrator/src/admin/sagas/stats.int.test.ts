import { randomUUID } from 'node:crypto';
import { sagaInstances } from '@sagaport/db';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSession, type SagaStats, type TestSession } from '@sagaport/admin-api/testing';
import { startTestStack, type TestStack } from '../../test-support/stack.js';
import { answerAwaited, failedSaga, startCheckout } from '../../test-support/saga-fixtures.js';

const FIVE_MINUTES = 5 * 60_000;

describe('GET /api/admin/sagas/stats (a fresh database; real PostgreSQL and RabbitMQ)', () => {
  let stack: TestStack;
  let viewer: TestSession;
  beforeAll(async () => {
    stack = await startTestStack();
    viewer = await createTestSession(stack.database.db, stack.orchestrator.app, 'viewer');
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  async function stats(): Promise<SagaStats> {
    const response = await viewer.request('/sagas/stats');
    expect(response.status).toBe(200);
    return (await response.json()) as SagaStats;
  }
  const total = (s: SagaStats, key: 'started' | 'completed' | 'compensated' | 'failed') =>
    s.lastHour.buckets.reduce((n, b) => n + b[key], 0);

  it('has every status at zero, twelve empty buckets and a failure rate of 0 before any saga', async () => {
    const empty = await stats();
    expect(empty.byStatus).toEqual({
      running: 0,
      compensating: 0,
      completed: 0,
      compensated: 0,
      failed: 0,
      rejected: 0,
    });
    expect(empty.stuck).toBe(0);
    expect(empty.lastHour.failureRate).toBe(0);
    expect(empty.lastHour.buckets).toHaveLength(12);
    expect(
      empty.lastHour.buckets.every((b) => b.started + b.completed + b.compensated + b.failed === 0),
    ).toBe(true);
  });

  it('counts sagas per status, the stuck ones, and starts and ends of the last hour in five-minute buckets', async () => {
    const { app, engine } = stack.orchestrator;
    const { db } = stack.database;
    const answer = (id: string, outcome: 'succeeded' | 'failed') => answerAwaited(db, engine, id, outcome);
    const start = () => startCheckout(app, `cust-${randomUUID()}`);
    const completed = await start();
    for (let step = 0; step < 5; step += 1) await answer(completed, 'succeeded');
    const [compensated, compensatedLongAgo] = [await start(), await start()];
    await answer(compensated, 'failed');
    await answer(compensatedLongAgo, 'failed');
    await failedSaga(app, db, engine, `cust-${randomUUID()}`);
    await start(); // running, before its deadline: not stuck
    await db
      .update(sagaInstances)
      .set({ createdAt: sql`now() - interval '3 hours'`, endedAt: sql`now() - interval '2 hours'` })
      .where(eq(sagaInstances.id, compensatedLongAgo));

    const now = Date.now();
    const s = await stats();
    expect(s.byStatus).toEqual({
      running: 1,
      compensating: 0,
      completed: 1,
      compensated: 2,
      failed: 1,
      rejected: 0,
    });
    expect(s.stuck).toBe(1);
    // The saga of three hours ago is not in the last hour.
    expect([total(s, 'started'), total(s, 'completed'), total(s, 'compensated'), total(s, 'failed')]).toEqual(
      [4, 1, 1, 1],
    );
    expect(s.lastHour.failureRate).toBeCloseTo(2 / 3);
    const starts = s.lastHour.buckets.map((b) => Date.parse(b.start));
    expect(starts).toHaveLength(12);
    expect(starts.slice(1).map((t, i) => t - starts[i]!)).toEqual(Array(11).fill(FIVE_MINUTES));
    expect(starts.every((t) => t % FIVE_MINUTES === 0)).toBe(true);
    // The newest bucket is the current one.
    expect(starts[11]).toBeLessThanOrEqual(now);
    expect(starts[11]! + FIVE_MINUTES).toBeGreaterThan(now - 1_000);
  });
});
