import { randomUUID } from 'node:crypto';
import { auditLog, deadLetters, outbox, replayJobs } from '@sagaport/db';
import { drainQueue, eventually } from '@sagaport/rabbitmq/testing';
import { count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSession, type TestSession } from '@sagaport/admin-api/testing';
import { awaitedCommand, insertDeadLetter, startCheckout } from '../../test-support/saga-fixtures.js';
import { startTestStack, type TestStack } from '../../test-support/stack.js';

interface Preview {
  willReplay: boolean;
  waitingForThis: boolean | null;
  step: { name: string; phase: string } | null;
  saga: { id: string; status: string; awaiting: { type: string } | null } | null;
  refusal: { status: number; code: string; detail: string } | null;
  suggestion: { action: string; detail: string } | null;
  errors: { field: string; message: string }[];
  effect: string;
  since: unknown[];
}

describe('replay previews (real PostgreSQL and RabbitMQ): side-effect free, and as the replay decides', () => {
  let stack: TestStack;
  let operator: TestSession;
  beforeAll(async () => {
    stack = await startTestStack();
    operator = await createTestSession(stack.database.db, stack.orchestrator.app, 'operator');
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  const preview = async (id: string, body?: unknown) => {
    const response = await operator.request(`/dead-letters/${id}/replay-preview`, {
      method: 'POST',
      body: body === undefined ? {} : { body },
    });
    expect(response.status).toBe(200);
    return (await response.json()) as Preview;
  };
  const auditCount = async () => (await stack.database.db.select({ n: count() }).from(auditLog))[0]!.n;
  const outboxOf = async (messageId: string) =>
    (await stack.database.db.select({ n: count() }).from(outbox).where(eq(outbox.messageId, messageId)))[0]!
      .n;

  /** A saga waiting for order.create, and a dead letter of its payment.charge: a stale command. */
  async function staleCharge() {
    const sagaId = await startCheckout(stack.orchestrator.app, `cust-${randomUUID()}`);
    const messageId = randomUUID();
    const id = await insertDeadLetter(stack.database.db, {
      sagaId,
      messageType: 'payment.charge',
      messageId,
      body: { orderId: randomUUID(), amountCents: 1250, currency: 'EUR', paymentToken: 'tok_visa' },
      originalExchange: stack.broker.topology.exchanges.commands,
      originalQueue: stack.broker.topology.queues.commands.payment,
    });
    return { sagaId, id, messageId };
  }

  it('describes the awaited command it would replay, and writes nothing', async () => {
    const sagaId = await startCheckout(stack.orchestrator.app, `cust-${randomUUID()}`);
    const awaiting = await awaitedCommand(stack.database.db, sagaId);
    const id = await insertDeadLetter(stack.database.db, {
      sagaId,
      messageType: awaiting.type,
      messageId: awaiting.messageId,
      body: awaiting.payload,
      originalExchange: stack.broker.topology.exchanges.commands,
    });
    const audit = await auditCount();
    const result = await preview(id);
    expect(result).toMatchObject({
      willReplay: true,
      waitingForThis: true,
      step: { name: 'createOrder', phase: 'forward' },
      saga: { id: sagaId, status: 'running', awaiting: { type: 'order.create' } },
      refusal: null,
      suggestion: null,
    });
    expect(result.effect).toMatch(
      /^creates order [0-9a-f-]{36} for customer cust-.*2 × SKU-001, 10\.00 EUR$/,
    );
    expect(await auditCount()).toBe(audit);
    const [row] = await stack.database.db.select().from(deadLetters).where(eq(deadLetters.id, id));
    expect(row).toMatchObject({ status: 'open', replayedAt: null });
  });

  it('says why a replay would be refused and what to do instead; the replay is then refused for the same reason', async () => {
    const { id, messageId } = await staleCharge();
    const audit = await auditCount();
    const result = await preview(id);
    expect(result).toMatchObject({
      willReplay: false,
      waitingForThis: false,
      step: { name: 'chargePayment', phase: 'forward' },
      refusal: { status: 409, code: 'saga-moved-on' },
      suggestion: { action: 'retry-step' },
    });
    expect(result.effect).toMatch(/^charges 12\.50 EUR for order /);
    expect(result.refusal!.detail).toContain('waits for order.create');
    // Nothing written, nothing published.
    expect(await auditCount()).toBe(audit);
    expect(await outboxOf(messageId)).toBe(0);
    const admin = await stack.broker.admin();
    expect(await drainQueue(admin, stack.broker.topology.queues.commands.payment)).toEqual([]);

    const replay = await operator.request(`/dead-letters/${id}/replay`, { method: 'POST', body: {} });
    expect(replay.status).toBe(result.refusal!.status);
    expect(((await replay.json()) as { detail: string }).detail).toBe(result.refusal!.detail);
  });

  it('checks an edited body against its contract, with the field at fault', async () => {
    const { id } = await staleCharge();
    const result = await preview(id, {
      orderId: 'not-a-uuid',
      amountCents: -1,
      currency: 'EUR',
      paymentToken: 't',
    });
    expect(result.refusal).toMatchObject({ status: 422, code: 'contract' });
    expect(result.errors.map((e) => e.field)).toEqual(
      expect.arrayContaining(['body.orderId', 'body.amountCents']),
    );
    expect(result.suggestion).toMatchObject({ action: 'edit' });
  });

  it('a bulk dry run counts what the job then does: replayed, skipped (why) and failed', async () => {
    const events = stack.broker.topology.exchanges.events;
    const replayable = await Promise.all(
      [1, 2].map(() =>
        insertDeadLetter(stack.database.db, {
          sagaId: randomUUID(),
          messageType: 'order.confirmed',
          messageId: randomUUID(),
          body: { orderId: randomUUID() },
          originalExchange: events,
        }),
      ),
    );
    const broken = await insertDeadLetter(stack.database.db, {
      sagaId: randomUUID(),
      messageType: 'order.confirmed',
      messageId: randomUUID(),
      body: { order: 'missing its id' },
      originalExchange: events,
    });
    const { id: stale } = await staleCharge();
    const ids = [...replayable, broken, stale];
    const audit = await auditCount();
    const response = await operator.request('/dead-letters/replay-preview', {
      method: 'POST',
      body: { ids },
    });
    expect(response.status).toBe(200);
    const dry = (await response.json()) as {
      total: number;
      wouldReplay: number;
      wouldSkip: number;
      wouldFail: number;
      reasons: { code: string; count: number }[];
      refusal: unknown;
    };
    expect(dry).toMatchObject({ total: 4, wouldReplay: 2, wouldSkip: 1, wouldFail: 1, refusal: null });
    expect(dry.reasons).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ code: 'saga-moved-on', count: 1 }),
        expect.objectContaining({ code: 'contract', count: 1 }),
      ]),
    );
    expect(await auditCount()).toBe(audit);
    expect((await stack.database.db.select({ n: count() }).from(replayJobs))[0]!.n).toBe(0);

    const created = await operator.request('/replay-jobs', { method: 'POST', body: { ids } });
    expect(created.status).toBe(202);
    const jobId = ((await created.json()) as { id: string }).id;
    const jobRow = async () =>
      (await stack.database.db.select().from(replayJobs).where(eq(replayJobs.id, jobId)))[0]!;
    await eventually(async () => (await jobRow()).status === 'completed', 10_000);
    const job = await jobRow();
    expect({ total: job.total, replayed: job.replayed, skipped: job.skipped, failed: job.failed }).toEqual({
      total: dry.total,
      replayed: dry.wouldReplay,
      skipped: dry.wouldSkip,
      failed: dry.wouldFail,
    });
  });

  it('a dry run says when the job itself would be refused', async () => {
    const response = await operator.request('/dead-letters/replay-preview', {
      method: 'POST',
      body: { fingerprint: `nothing-${randomUUID()}` },
    });
    expect(await response.json()).toMatchObject({
      total: 0,
      refusal: { status: 422, reason: 'nothing-open' },
    });
    const bad = await operator.request('/dead-letters/replay-preview', {
      method: 'POST',
      body: { ids: ['x'] },
    });
    expect(bad.status).toBe(422);
    expect(await bad.json()).toMatchObject({ errors: [expect.objectContaining({ field: 'ids.0' })] });
  });
});
