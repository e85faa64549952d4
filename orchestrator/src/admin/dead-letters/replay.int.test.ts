import { randomUUID } from 'node:crypto';
import { auditLog, deadLetters, outbox, replayJobItems } from '@sagaport/db';
import { Header } from '@sagaport/rabbitmq';
import { drainQueue, eventually } from '@sagaport/rabbitmq/testing';
import { and, count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSession, readDeadLetter, type TestSession } from '@sagaport/admin-api/testing';
import {
  awaitedCommand,
  answerAwaited,
  insertDeadLetter,
  startCheckout,
} from '../../test-support/saga-fixtures.js';
import { startTestStack, type TestStack } from '../../test-support/stack.js';

describe('dead-letter replay through the admin API (real PostgreSQL and RabbitMQ)', () => {
  let stack: TestStack;
  let operator: TestSession;

  beforeAll(async () => {
    stack = await startTestStack();
    operator = await createTestSession(stack.database.db, stack.orchestrator.app, 'operator');
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  /** Archives dead letters of `order.confirmed` events, as the archiver would have stored them. */
  async function archiveEvents(
    count: number,
    body = (orderId: string) => JSON.stringify({ orderId }),
    route?: { exchange: string; routingKey: string },
  ) {
    const { topology } = stack.broker;
    const rows = Array.from({ length: count }, (_, i) => {
      const messageId = randomUUID();
      return readDeadLetter(
        {
          content: Buffer.from(body(randomUUID())),
          fields: {
            exchange: topology.exchanges.deadLetters,
            routingKey: topology.queues.inventoryOrderEvents,
          },
          properties: {
            messageId,
            type: 'order.confirmed',
            contentType: 'application/json',
            timestamp: Date.now(),
            headers: {
              'x-schema-version': 1,
              'x-original-exchange': route?.exchange ?? topology.exchanges.events,
              'x-original-routing-key': route?.routingKey ?? 'order.confirmed',
              'x-original-queue': topology.queues.inventoryOrderEvents,
              'x-error-class': 'transient',
              'x-error-name': 'TransientError',
              'x-error-message': `inventory database timed out after ${i} ms`,
              'x-attempt': 5,
              'x-last-failure-at': new Date(Date.now() - i).toISOString(),
              'x-failed-by': 'inventory-worker@test',
            },
          },
        },
        topology.queues.deadLetters[topology.queues.inventoryOrderEvents]!,
      );
    });
    for (let i = 0; i < rows.length; i += 500) {
      await stack.database.db.insert(deadLetters).values(rows.slice(i, i + 500));
    }
    return stack.database.db.select().from(deadLetters).where(eq(deadLetters.status, 'open'));
  }

  async function takeEvents() {
    const admin = await stack.broker.admin();
    return drainQueue(admin, stack.broker.topology.queues.inventoryOrderEvents);
  }

  /**
   * Waits until the relay has published every outbox row. It deletes a row only after the
   * broker confirmed it, so from then on every replay written so far sits in its queue and one
   * drain takes them all: nothing is still on its way that could arrive twice later.
   */
  async function everyReplayPublished() {
    const pending = async () => (await stack.database.db.select({ n: count() }).from(outbox))[0]!.n;
    expect(await eventually(async () => (await pending()) === 0, 30_000)).toBe(true);
  }

  it('replays one dead letter once: a second replay is refused and nothing is published twice', async () => {
    const [letter] = await archiveEvents(1);
    const first = await operator.request(`/dead-letters/${letter!.id}/replay`, { method: 'POST', body: {} });
    expect(first.status).toBe(202);
    const second = await operator.request(`/dead-letters/${letter!.id}/replay`, { method: 'POST', body: {} });
    expect(second.status).toBe(409);
    expect(second.headers.get('content-type')).toBe('application/problem+json');
    expect(((await second.json()) as { detail: string }).detail).toMatch(/already replayed/);

    await everyReplayPublished();
    const published = await takeEvents();
    expect(published.map((m) => m.properties.messageId as string)).toEqual([letter!.messageId]);
    const replayed = published[0]!;
    // Same message id and route, a clean envelope at attempt 1, linked back to the dead letter.
    expect(replayed.fields.routingKey).toBe('order.confirmed');
    expect(replayed.properties.headers).toMatchObject({ 'x-attempt': 1, 'x-replay-of': letter!.id });
    expect(replayed.properties.headers!['x-error-message']).toBeUndefined();
    expect(JSON.parse(replayed.content.toString())).toEqual(JSON.parse(letter!.body));

    const audit = await stack.database.db.select().from(auditLog).where(eq(auditLog.targetId, letter!.id));
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ action: 'dead-letter.replay', actorEmail: operator.email });
  });

  it('replays a copy that reached its queue by the default exchange back to that queue', async () => {
    // Order events that travel in a stream batch reach the inventory as copies addressed to its
    // queue by name: the dead letter's original exchange is '' (the default exchange).
    const queue = stack.broker.topology.queues.inventoryOrderEvents;
    const letters = await archiveEvents(1, undefined, { exchange: '', routingKey: queue });
    const letter = letters.find((l) => l.originalExchange === '')!;
    expect(letter).toMatchObject({ originalExchange: '', originalRoutingKey: queue });
    const replay = await operator.request(`/dead-letters/${letter.id}/replay`, { method: 'POST', body: {} });
    expect(replay.status).toBe(202);

    await everyReplayPublished();
    const published = await takeEvents();
    expect(published.map((m) => m.properties.messageId as string)).toEqual([letter.messageId]);
    expect(published[0]!.fields).toMatchObject({ exchange: '', routingKey: queue });
  });

  it('refuses an edit that breaks the contract with the field at fault, and publishes nothing', async () => {
    const [letter] = await archiveEvents(1);
    const outboxBefore = (await stack.database.db.select().from(outbox)).length;
    const check = await operator.request(`/dead-letters/${letter!.id}/validate`, {
      method: 'POST',
      body: { body: { orderId: 'not-a-uuid', extra: 1 } },
    });
    const verdict = (await check.json()) as { valid: boolean; errors: { field: string }[] };
    expect(verdict.valid).toBe(false);
    expect(verdict.errors.map((e) => e.field)).toContain('body.orderId');

    const response = await operator.request(`/dead-letters/${letter!.id}/replay`, {
      method: 'POST',
      body: { body: { orderId: 'not-a-uuid' } },
    });
    expect(response.status).toBe(422);
    const problem = (await response.json()) as { errors: { field: string; message: string }[] };
    expect(problem.errors.map((e) => e.field)).toEqual(['body.orderId']);
    const [after] = await stack.database.db.select().from(deadLetters).where(eq(deadLetters.id, letter!.id));
    expect(after!.status).toBe('open');
    expect((await stack.database.db.select().from(outbox)).length).toBe(outboxBefore);
    await everyReplayPublished();
    expect(await takeEvents()).toEqual([]);
    expect(
      await stack.database.db.select().from(auditLog).where(eq(auditLog.targetId, letter!.id)),
    ).toHaveLength(0);

    // A valid edit goes through and is marked as edited.
    const fixed = { orderId: randomUUID() };
    const ok = await operator.request(`/dead-letters/${letter!.id}/replay`, {
      method: 'POST',
      body: { body: fixed },
    });
    expect(ok.status).toBe(202);
    expect(
      await eventually(async () =>
        (await takeEvents()).some(
          (m) => (JSON.parse(m.content.toString()) as { orderId: string }).orderId === fixed.orderId,
        ),
      ),
    ).toBe(true);
  });

  it('refuses (409) to replay a command its saga no longer waits for, and replays the one it does', async () => {
    const { db } = stack.database;
    const { topology } = stack.broker;
    const sagaId = await startCheckout(stack.orchestrator.app, `cust-${randomUUID()}`);
    const created = await awaitedCommand(db, sagaId);
    /** A dead letter of `command`, as the archiver stores a command that failed in its worker. */
    const deadLetterOf = (command: typeof created, queue: string) =>
      insertDeadLetter(db, {
        sagaId,
        messageType: command.type,
        messageId: command.messageId,
        body: command.payload,
        originalExchange: topology.exchanges.commands,
        originalQueue: queue,
      });
    const stale = await deadLetterOf(created, topology.queues.commands.order);
    // The order was created after all (a resend went through): the saga has moved on.
    await answerAwaited(db, stack.orchestrator.engine, sagaId, 'succeeded');
    const reserve = await awaitedCommand(db, sagaId);
    expect(reserve.type).toBe('inventory.reserve');

    const refused = await operator.request(`/dead-letters/${stale}/replay`, { method: 'POST', body: {} });
    expect(refused.status).toBe(409);
    expect(refused.headers.get('content-type')).toBe('application/problem+json');
    expect(((await refused.json()) as { detail: string }).detail).toContain(
      `waits for inventory.reserve (${reserve.messageId})`,
    );
    const [after] = await db.select().from(deadLetters).where(eq(deadLetters.id, stale));
    expect(after).toMatchObject({ status: 'open', replayedAt: null, replayMessageId: null });
    // No replay was written (the saga's own order.create row may still await its batched delete).
    expect(
      await db
        .select()
        .from(outbox)
        .where(sql`${outbox.headers} ->> ${Header.replayOf} = ${stale}`),
    ).toEqual([]);
    expect(await db.select().from(auditLog).where(eq(auditLog.targetId, stale))).toEqual([]);

    // The command the saga does wait for replays: the refusal was about the saga, not the letter.
    const current = await deadLetterOf(reserve, topology.queues.commands.inventory);
    const replayed = await operator.request(`/dead-letters/${current}/replay`, { method: 'POST', body: {} });
    expect(replayed.status).toBe(202);
    expect(await replayed.json()).toMatchObject({ replayMessageId: reserve.messageId });
  });

  it('discards a dead letter, keeping it, and refuses to replay it afterwards', async () => {
    const [letter] = await archiveEvents(1);
    const response = await operator.request(`/dead-letters/${letter!.id}/discard`, {
      method: 'POST',
      body: { reason: 'test order, not a real customer' },
    });
    expect(response.status).toBe(200);
    expect(((await response.json()) as { status: string }).status).toBe('discarded');
    const replay = await operator.request(`/dead-letters/${letter!.id}/replay`, { method: 'POST', body: {} });
    expect(replay.status).toBe(409);
    const detail = (await (await operator.request(`/dead-letters/${letter!.id}`)).json()) as Record<
      string,
      unknown
    >;
    expect(detail).toMatchObject({
      status: 'discarded',
      discardedBy: operator.email,
      discardReason: 'test order, not a real customer',
    });
    expect(detail.replayable).toMatchObject({ ok: false });
  });

  it('bulk-replays 1,000 dead letters of a group with progress, losing and duplicating none', async () => {
    await stack.database.db
      .update(deadLetters)
      .set({ status: 'discarded' })
      .where(eq(deadLetters.status, 'open'));
    const letters = await archiveEvents(1_000);
    const groups = (await (await operator.request('/dead-letters/groups?status=open')).json()) as {
      items: { fingerprint: string; count: number; openCount: number }[];
    };
    expect(groups.items).toHaveLength(1); // "timed out after <n> ms": one cause, one group
    expect(groups.items[0]!.openCount).toBe(1_000);

    const started = performance.now();
    const created = await operator.request('/replay-jobs', {
      method: 'POST',
      body: { fingerprint: groups.items[0]!.fingerprint, ratePerSecond: 1_000 },
    });
    expect(created.status).toBe(202);
    const job = (await created.json()) as { id: string; total: number };
    expect(job.total).toBe(1_000);

    const progress: number[] = [];
    const received = new Map<string, number>();
    let final: { status: string; replayed: number; skipped: number; failed: number } | undefined;
    while (performance.now() - started < 120_000) {
      const state = (await (await operator.request(`/replay-jobs/${job.id}`)).json()) as typeof final & {
        replayed: number;
      };
      progress.push(state.replayed);
      if (state.status === 'completed') {
        final = state;
        break;
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const jobMs = performance.now() - started;
    expect(final).toMatchObject({ status: 'completed', replayed: 1_000, skipped: 0, failed: 0 });
    // Progress was visible while it ran: several distinct counts between 0 and 1,000.
    expect(new Set(progress.filter((p) => p > 0 && p < 1_000)).size).toBeGreaterThanOrEqual(2);

    // The job is completed, so every replay is in the outbox or already published.
    await everyReplayPublished();
    for (const m of await takeEvents()) {
      const id = m.properties.messageId as string;
      received.set(id, (received.get(id) ?? 0) + 1);
    }
    // Every dead letter published exactly once.
    expect(new Set(received.keys())).toEqual(new Set(letters.map((l) => l.messageId)));
    expect([...received].filter(([, n]) => n !== 1)).toEqual([]);
    const items = await stack.database.db
      .select()
      .from(replayJobItems)
      .where(eq(replayJobItems.jobId, job.id));
    expect(items.filter((i) => i.status === 'replayed')).toHaveLength(1_000);
    const stillOpen = await stack.database.db
      .select()
      .from(deadLetters)
      .where(and(eq(deadLetters.status, 'open'), eq(deadLetters.messageType, 'order.confirmed')));
    expect(stillOpen).toHaveLength(0);
    console.log(`bulk replay of 1,000 dead letters: job completed in ${Math.round(jobMs)} ms`);

    // The same group again selects nothing: replayed letters are not open any more.
    const again = await operator.request('/replay-jobs', {
      method: 'POST',
      body: { fingerprint: groups.items[0]!.fingerprint },
    });
    expect(again.status).toBe(422);
  }, 180_000);
});
