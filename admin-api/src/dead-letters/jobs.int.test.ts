import { randomUUID } from 'node:crypto';
import { auditLog, deadLetters, outbox, replayJobItems, replayJobs } from '@sagaport/db';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@sagaport/db/testing';
import { silentLogger } from '@sagaport/rabbitmq';
import { eventually } from '@sagaport/rabbitmq/testing';
import { and, asc, eq, inArray, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { insertDeadLetter } from '../testing/dead-letters.js';
import type { Actor } from '../env.js';
import { cancelReplayJob, createReplayJob } from './jobs.js';
import { ReplayJobRunner } from './runner.js';

/**
 * Bulk replay jobs against the real PostgreSQL. A replay is an outbox row (the relay publishes it
 * and has its own tests), and no relay runs here: the outbox keeps every replay ever written, so
 * "replayed once" is exactly "one outbox row".
 */
describe('bulk replay jobs: resuming, cancelling, running side by side within one budget (real PostgreSQL)', () => {
  let database: MigratedTestDatabase;
  const runners: ReplayJobRunner[] = [];
  const actor: Actor = {
    id: randomUUID(),
    email: 'operator@test.sagaport',
    name: 'Test operator',
    role: 'operator',
  };

  beforeEach(async () => {
    database = await createMigratedTestDatabase(4, 'replay-jobs-test');
  });
  afterEach(async () => {
    await Promise.all(runners.splice(0).map((r) => r.stop()));
    await database.dispose();
  });

  /** A runner process; `stop({ releaseClaims: false })` ends it after its current chunk, as a crash after a commit would. */
  async function startRunner(name: string, options: { budgetPerSecond?: number } = {}) {
    const runner = new ReplayJobRunner({
      db: database.db,
      logger: silentLogger,
      runner: name,
      pollMs: 50,
      budgetPerSecond: options.budgetPerSecond ?? 10_000,
    });
    runners.push(runner);
    await runner.start();
    return runner;
  }

  /** Open dead letters of `order.confirmed` events (no saga check applies to events). */
  async function deadLettersOf(count: number) {
    const ids: string[] = [];
    for (let i = 0; i < count; i += 1) {
      ids.push(
        await insertDeadLetter(database.db, {
          sagaId: randomUUID(),
          messageType: 'order.confirmed',
          messageId: randomUUID(),
          body: { orderId: randomUUID() },
        }),
      );
    }
    return ids;
  }

  /** Ten a second by default: one dead letter per chunk, a chunk every 100 ms. */
  async function createJob(ids: string[], ratePerSecond = 10) {
    const created = await createReplayJob(
      database.db,
      actor,
      { ids, ratePerSecond },
      {
        defaultRate: 10,
        openJobLimit: 100,
      },
    );
    if (!created.ok) throw new Error(`job refused: ${created.reason}`);
    return created.job;
  }

  const job = async (id: string) =>
    (await database.db.select().from(replayJobs).where(eq(replayJobs.id, id)))[0]!;
  const items = (jobId: string) =>
    database.db
      .select()
      .from(replayJobItems)
      .where(eq(replayJobItems.jobId, jobId))
      .orderBy(asc(replayJobItems.seq));
  const messageIdsOf = async (ids: string[]) =>
    (
      await database.db
        .select({ messageId: deadLetters.messageId })
        .from(deadLetters)
        .where(inArray(deadLetters.id, ids))
    )
      .map((r) => r.messageId)
      .sort();
  /** The message ids of every replay written to the outbox, one entry per row. */
  const outboxMessageIds = async () =>
    (await database.db.select({ messageId: outbox.messageId }).from(outbox)).map((r) => r.messageId).sort();

  it('resumes a job whose runner died: another runner replays exactly the remaining items, none twice', async () => {
    const letters = await deadLettersOf(30);
    const created = await createJob(letters);
    const first = await startRunner('runner-a');
    expect(await eventually(async () => (await job(created.id)).replayed >= 5, 15_000)).toBe(true);
    await first.stop({ releaseClaims: false });

    // What the dead runner left: a job still `running` in its name, some items done.
    const left = await job(created.id);
    expect(left).toMatchObject({ status: 'running', runner: 'runner-a' });
    expect(left.replayed).toBeLessThan(30);
    const done = (await items(created.id)).filter((i) => i.status === 'replayed');
    expect(done).toHaveLength(left.replayed);
    expect(await outboxMessageIds()).toEqual(await messageIdsOf(done.map((i) => i.deadLetterId)));
    // Its heartbeat stopped: as if the 30 s after which another runner takes over had passed.
    await database.db
      .update(replayJobs)
      .set({ heartbeatAt: sql`now() - interval '31 seconds'` })
      .where(eq(replayJobs.id, created.id));

    await startRunner('runner-b');
    expect(await eventually(async () => (await job(created.id)).status === 'completed', 15_000)).toBe(true);
    const finished = await job(created.id);
    expect(finished).toMatchObject({
      status: 'completed',
      runner: 'runner-b',
      total: 30,
      replayed: 30,
      skipped: 0,
      failed: 0,
      startedAt: left.startedAt,
    });
    const after = await items(created.id);
    expect(after.map((i) => i.status)).toEqual(Array.from({ length: 30 }, () => 'replayed'));
    // The dead runner's items were not done again.
    for (const item of done) {
      expect(after.find((i) => i.seq === item.seq)!.processedAt).toEqual(item.processedAt);
    }
    // Every dead letter replayed exactly once: one outbox row and one audit row each.
    expect(await outboxMessageIds()).toEqual(await messageIdsOf(letters));
    const audit = await database.db
      .select({ targetId: auditLog.targetId, detail: auditLog.detail })
      .from(auditLog)
      .where(eq(auditLog.action, 'dead-letter.replay'));
    expect(audit.map((a) => a.targetId).sort()).toEqual([...letters].sort());
    expect(audit.every((a) => a.detail?.jobId === created.id)).toBe(true);
    const open = await database.db
      .select()
      .from(deadLetters)
      .where(and(inArray(deadLetters.id, letters), eq(deadLetters.status, 'open')));
    expect(open).toEqual([]);
  });

  it('stops a cancelled job before its next chunk: the remaining items are not replayed', async () => {
    const letters = await deadLettersOf(30);
    const created = await createJob(letters);
    await startRunner('runner-a');
    expect(await eventually(async () => (await job(created.id)).replayed >= 3, 15_000)).toBe(true);
    // The cancel waits for a chunk in progress (it holds the job's row), so the counts it
    // returns are final if the runner stops as it should.
    const cancelled = (await cancelReplayJob(database.db, actor, created.id))!;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.replayed).toBeLessThan(30);

    // Stopping waits for the chunk in progress: whatever the runner was going to do to the job is done.
    await runners.pop()!.stop();

    const final = await job(created.id);
    expect(final).toMatchObject({ status: 'cancelled', replayed: cancelled.replayed, skipped: 0, failed: 0 });
    expect(final.finishedAt).toEqual(cancelled.finishedAt);
    const after = await items(created.id);
    const replayed = after.filter((i) => i.status === 'replayed');
    const pending = after.filter((i) => i.status === 'pending');
    expect(replayed).toHaveLength(cancelled.replayed);
    expect(pending).toHaveLength(30 - cancelled.replayed);
    // Only what was replayed before the cancel reached the outbox; the rest stays open.
    expect(await outboxMessageIds()).toEqual(await messageIdsOf(replayed.map((i) => i.deadLetterId)));
    const stillOpen = await database.db
      .select({ id: deadLetters.id })
      .from(deadLetters)
      .where(and(inArray(deadLetters.id, letters), eq(deadLetters.status, 'open')));
    expect(stillOpen.map((r) => r.id).sort()).toEqual(pending.map((i) => i.deadLetterId).sort());
    const audit = await database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.action, 'replay-job.cancel'), eq(auditLog.targetId, created.id)));
    expect(audit).toHaveLength(1);
  });

  it('runs jobs side by side: a fast job finishes while a slow one (1 a second) started before it still runs', async () => {
    const slow = await createJob(await deadLettersOf(20), 1);
    await startRunner('runner-a');
    expect(await eventually(async () => (await job(slow.id)).status === 'running', 5_000)).toBe(true);
    const fast = await createJob(await deadLettersOf(20), 100);
    expect(
      await eventually(async () => (await job(fast.id)).status === 'completed', 5_000),
      'the fast job completes without waiting for the slow one',
    ).toBe(true);
    const slowNow = await job(slow.id);
    expect(slowNow.status).toBe('running');
    expect(slowNow.replayed).toBeLessThan(20);
  });

  it('keeps every job of every runner within one shared publish budget', async () => {
    const perSecond = 20;
    const jobs = [];
    for (let i = 0; i < 3; i += 1) jobs.push(await createJob(await deadLettersOf(60), 1_000));
    const started = Date.now();
    // Two orchestrators, each able to run all three jobs at once, each at 1,000 a second alone.
    await startRunner('runner-a', { budgetPerSecond: perSecond });
    await startRunner('runner-b', { budgetPerSecond: perSecond });
    await new Promise((r) => setTimeout(r, 2_000));
    const replayed = (await Promise.all(jobs.map((j) => job(j.id)))).reduce((n, j) => n + j.replayed, 0);
    const seconds = (Date.now() - started) / 1_000;
    // The bucket holds a fifth of a second's worth, and refills at `perSecond`.
    expect(replayed).toBeGreaterThan(0);
    expect(replayed).toBeLessThanOrEqual(Math.ceil(perSecond / 5 + perSecond * seconds));
  });

  it('a runner stopped gracefully hands its job back: another runner resumes it at once, not after 30 s', async () => {
    const letters = await deadLettersOf(30);
    const created = await createJob(letters);
    const first = await startRunner('runner-a');
    expect(await eventually(async () => (await job(created.id)).replayed >= 3, 15_000)).toBe(true);
    await startRunner('runner-b');
    await first.stop();
    expect(
      await eventually(async () => (await job(created.id)).runner === 'runner-b', 5_000),
      'runner-b claims the job without waiting for a stale heartbeat',
    ).toBe(true);
    expect(await eventually(async () => (await job(created.id)).status === 'completed', 15_000)).toBe(true);
    expect(await outboxMessageIds()).toEqual(await messageIdsOf(letters));
  });
});
