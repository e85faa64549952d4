import { randomUUID } from 'node:crypto';
import { deadLetters, messageRetries } from '@sagaport/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createTestSession,
  type SagaDeadLetter,
  type SagaDetail,
  type TestSession,
  type TimelineEntry,
} from '@sagaport/admin-api/testing';
import { startTestStack, type TestStack } from '../../test-support/stack.js';
import {
  answerAwaited,
  insertDeadLetter,
  sagaState,
  startCheckout,
} from '../../test-support/saga-fixtures.js';

interface DetailResponse {
  saga: SagaDetail;
  timeline: TimelineEntry[];
  deadLetters: SagaDeadLetter[];
}

/** Lets the clock move on, so rows written next are strictly later (to the millisecond). */
const tick = () => new Promise((r) => setTimeout(r, 5));

describe('GET /api/admin/sagas/{id} (real PostgreSQL and RabbitMQ, no workers)', () => {
  let stack: TestStack;
  let operator: TestSession;
  beforeAll(async () => {
    stack = await startTestStack();
    operator = await createTestSession(stack.database.db, stack.orchestrator.app, 'operator');
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  async function detail(id: string): Promise<DetailResponse> {
    const response = await operator.request(`/sagas/${id}`);
    expect(response.status).toBe(200);
    return (await response.json()) as DetailResponse;
  }

  it('merges saga events, retries, dead letters and audit rows into one timeline in time order', async () => {
    const { db } = stack.database;
    const sagaId = await startCheckout(stack.orchestrator.app, `cust-${randomUUID()}`);
    const create = (await sagaState(db, sagaId)).awaiting!;
    await tick();
    await db.insert(messageRetries).values({
      failureKey: randomUUID(),
      messageId: create.messageId,
      messageType: 'order.create',
      sagaId,
      queue: 'order.commands',
      nextAttempt: 2,
      tier: '1s',
      delayMs: 1000,
      errorClass: 'transient',
      errorMessage: 'orders database restarting',
      failedBy: 'order-worker-1',
      failedAt: new Date(),
    });
    await tick();
    await answerAwaited(db, stack.orchestrator.engine, sagaId, 'succeeded');
    const reserve = (await sagaState(db, sagaId)).awaiting!;
    await tick();
    const replayed = await insertDeadLetter(db, {
      sagaId,
      messageType: 'inventory.reserve',
      messageId: reserve.messageId,
    });
    await tick();
    const discarded = await insertDeadLetter(db, {
      sagaId,
      messageType: 'inventory.reserve',
      messageId: reserve.messageId,
    });
    expect((await detail(sagaId)).saga.openDeadLetters).toBe(2);
    await tick();
    expect((await operator.request(`/sagas/${sagaId}/retry-step`, { method: 'POST' })).status).toBe(200);
    await tick();
    const replayMessageId = randomUUID();
    await db
      .update(deadLetters)
      .set({
        status: 'replayed',
        replayedAt: new Date(),
        replayedBy: operator.email,
        replayMessageId,
        replayEdited: false,
      })
      .where(eq(deadLetters.id, replayed));
    await tick();
    await db
      .update(deadLetters)
      .set({
        status: 'discarded',
        discardedAt: new Date(),
        discardedBy: operator.email,
        discardReason: 'duplicate',
      })
      .where(eq(deadLetters.id, discarded));

    const { saga, timeline, deadLetters: letters } = await detail(sagaId);
    expect(timeline.map((e) => [e.source, e.kind, e.messageType])).toEqual([
      ['saga', 'saga.started', null],
      // The order and the stock hold are one stage: both commands leave with the start.
      ['saga', 'command.sent', 'order.create'],
      ['saga', 'command.sent', 'inventory.reserve'],
      ['retry', 'retry.scheduled', 'order.create'],
      ['saga', 'reply.received', 'order.create.reply'],
      ['saga', 'step.succeeded', null],
      ['dead-letter', 'dead-letter.archived', 'inventory.reserve'],
      ['dead-letter', 'dead-letter.archived', 'inventory.reserve'],
      ['saga', 'operator.retry-step', null],
      ['saga', 'command.sent', 'inventory.reserve'],
      ['audit', 'saga.retry-step', null],
      ['dead-letter', 'dead-letter.replayed', 'inventory.reserve'],
      ['dead-letter', 'dead-letter.discarded', 'inventory.reserve'],
    ]);
    const times = timeline.map((e) => e.at);
    expect(times).toEqual([...times].sort());
    expect(timeline[3]).toMatchObject({
      messageId: create.messageId,
      detail: {
        queue: 'order.commands',
        nextAttempt: 2,
        tier: '1s',
        errorClass: 'transient',
        failedBy: 'order-worker-1',
      },
    });
    expect(timeline[8]!.detail).toMatchObject({
      actor: operator.email,
      messageId: reserve.messageId,
      sends: 2,
    });
    expect(timeline[10]!.detail).toMatchObject({ actorEmail: operator.email, action: 'saga.retry-step' });
    expect(timeline[11]).toMatchObject({
      messageId: replayMessageId,
      detail: { id: replayed, replayMessageId, replayedBy: operator.email, edited: false },
    });
    expect(timeline[12]!.detail).toEqual({ id: discarded, discardedBy: operator.email, reason: 'duplicate' });

    expect(saga).toMatchObject({ id: sagaId, status: 'running', currentStep: 'reserveStock', version: 3 });
    expect(saga.state).toMatchObject({
      completed: ['createOrder'],
      awaiting: { messageId: reserve.messageId },
    });
    expect(saga.openDeadLetters).toBe(0);
    expect(letters.map((d) => [d.id, d.status])).toEqual([
      [discarded, 'discarded'],
      [replayed, 'replayed'],
    ]);
  });

  it('answers 404 for an unknown saga and 422 for an id that is not a uuid', async () => {
    const unknown = await operator.request(`/sagas/${randomUUID()}`);
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    const malformed = await operator.request('/sagas/not-a-uuid');
    expect(malformed.status).toBe(422);
    expect(((await malformed.json()) as { errors: { field: string }[] }).errors.map((e) => e.field)).toEqual([
      'id',
    ]);
  });
});
