import { randomUUID } from 'node:crypto';
import { auditLog, sagaEvents } from '@sagaport/db';
import { drainQueue, eventually } from '@sagaport/rabbitmq/testing';
import { and, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSession, type SagaDetail, type TestSession } from '@sagaport/admin-api/testing';
import { startTestStack, type TestStack } from '../../test-support/stack.js';
import { answerAwaited, failedSaga, sagaState, startCheckout } from '../../test-support/saga-fixtures.js';

type Delivered = Awaited<ReturnType<typeof drainQueue>>[number];

describe('operator actions on a saga (real PostgreSQL and RabbitMQ, no workers)', () => {
  let stack: TestStack;
  let operator: TestSession;
  /** Every message taken off the order worker's queue so far (nothing else consumes it). */
  const orderCommands: Delivered[] = [];
  beforeAll(async () => {
    stack = await startTestStack();
    operator = await createTestSession(stack.database.db, stack.orchestrator.app, 'operator');
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  const start = () => startCheckout(stack.orchestrator.app, `cust-${randomUUID()}`);
  const failed = () =>
    failedSaga(stack.orchestrator.app, stack.database.db, stack.orchestrator.engine, `cust-${randomUUID()}`);
  const act = (sagaId: string, action: 'retry-step' | 'compensate') =>
    operator.request(`/sagas/${sagaId}/${action}`, { method: 'POST' });

  /** Waits until the order worker's queue has delivered `count` messages with this message id. */
  async function deliveredToOrderWorker(messageId: string, count: number) {
    const matching = () => orderCommands.filter((m) => m.properties.messageId === messageId);
    const channel = await stack.broker.admin();
    await eventually(async () => {
      orderCommands.push(...(await drainQueue(channel, stack.broker.topology.queues.commands.order)));
      return matching().length >= count;
    }, 10_000);
    return matching().map((m) => m.properties.type as string);
  }

  async function auditRows(sagaId: string) {
    return stack.database.db
      .select()
      .from(auditLog)
      .where(and(eq(auditLog.targetType, 'saga'), eq(auditLog.targetId, sagaId)));
  }

  it('retry-step resends the awaited command with the same message id, a new deadline, and one audit row', async () => {
    const sagaId = await start();
    const before = await sagaState(stack.database.db, sagaId);
    const oldDeadline = ((await (await operator.request(`/sagas/${sagaId}`)).json()) as { saga: SagaDetail })
      .saga.deadlineAt!;
    const response = await act(sagaId, 'retry-step');
    expect(response.status).toBe(200);
    const saga = (await response.json()) as SagaDetail;
    expect(saga).toMatchObject({ id: sagaId, status: 'running', currentStep: 'createOrder', version: 2 });
    expect(saga.state).toMatchObject({ awaiting: { messageId: before.awaiting!.messageId, sends: 2 } });
    expect(Date.parse(saga.deadlineAt!)).toBeGreaterThan(Date.parse(oldDeadline));
    // The checkout's send and the operator's resend: one message id, twice on the worker's queue.
    expect(await deliveredToOrderWorker(before.awaiting!.messageId, 2)).toEqual([
      'order.create',
      'order.create',
    ]);
    const audit = await auditRows(sagaId);
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({
      actorEmail: operator.email,
      action: 'saga.retry-step',
      detail: {
        fromStatus: 'running',
        toStatus: 'running',
        command: 'order.create',
        messageId: before.awaiting!.messageId,
        // The stock hold was in flight in the same stage, and was resent with the order.
        alongside: [
          { step: 'reserveStock', command: 'inventory.reserve', messageId: before.alongside![0]!.messageId },
        ],
      },
    });
  });

  it('retry-step re-issues the compensation that failed with a new message id, reopening the saga', async () => {
    const sagaId = await failed();
    const [failedCancel] = await stack.database.db
      .select({ messageId: sagaEvents.messageId })
      .from(sagaEvents)
      .where(and(eq(sagaEvents.sagaId, sagaId), eq(sagaEvents.messageType, 'order.cancel')));
    const response = await act(sagaId, 'retry-step');
    expect(response.status).toBe(200);
    const saga = (await response.json()) as SagaDetail;
    expect(saga).toMatchObject({
      status: 'compensating',
      currentStep: 'createOrder',
      endedAt: null,
      stuck: false,
    });
    const awaiting = (saga.state as { awaiting: { type: string; messageId: string } }).awaiting;
    expect(awaiting.type).toBe('order.cancel');
    expect(awaiting.messageId).not.toBe(failedCancel!.messageId);
    expect(await deliveredToOrderWorker(awaiting.messageId, 1)).toEqual(['order.cancel']);
    expect((await auditRows(sagaId)).map((a) => a.detail)).toEqual([
      {
        fromStatus: 'failed',
        toStatus: 'compensating',
        step: 'createOrder',
        command: 'order.cancel',
        messageId: awaiting.messageId,
      },
    ]);
    // The re-issued compensation succeeds: the saga ends compensated.
    await answerAwaited(stack.database.db, stack.orchestrator.engine, sagaId, 'succeeded');
    expect((await sagaState(stack.database.db, sagaId)).status).toBe('compensated');
  });

  it('compensate abandons the awaited steps and compensates them, with an event and an audit row naming the operator', async () => {
    const sagaId = await start();
    const response = await act(sagaId, 'compensate');
    expect(response.status).toBe(200);
    const saga = (await response.json()) as SagaDetail;
    // The order and the stock hold were in flight together: both are abandoned, newest first.
    expect(saga).toMatchObject({
      status: 'compensating',
      currentStep: 'reserveStock',
      failureReason: { code: 'operator_compensated' },
    });
    expect(saga.state).toMatchObject({
      awaiting: { type: 'inventory.release' },
      toCompensate: ['createOrder'],
    });
    await answerAwaited(stack.database.db, stack.orchestrator.engine, sagaId, 'succeeded');
    const awaiting = (await sagaState(stack.database.db, sagaId)).awaiting!;
    expect(await deliveredToOrderWorker(awaiting.messageId, 1)).toEqual(['order.cancel']);
    const events = await stack.database.db.select().from(sagaEvents).where(eq(sagaEvents.sagaId, sagaId));
    expect(events.find((e) => e.kind === 'operator.compensate')?.detail).toMatchObject({
      actor: operator.email,
      type: 'order.create',
    });
    expect((await auditRows(sagaId)).map((a) => [a.action, a.actorEmail])).toEqual([
      ['saga.compensate', operator.email],
    ]);
  });

  it('answers 409 naming the saga state when the action does not apply, and changes nothing', async () => {
    const compensated = await start();
    await answerAwaited(stack.database.db, stack.orchestrator.engine, compensated, 'failed');
    const compensating = await start();
    expect((await act(compensating, 'compensate')).status).toBe(200);
    const failedId = await failed();
    const cases = [
      [compensated, 'retry-step', /compensated/],
      [compensated, 'compensate', /compensated already/],
      [compensating, 'compensate', /compensating already/],
      [failedId, 'compensate', /failed while compensating createOrder/],
    ] as const;
    for (const [sagaId, action, detail] of cases) {
      const before = await sagaState(stack.database.db, sagaId);
      const audited = (await auditRows(sagaId)).length;
      const response = await act(sagaId, action);
      expect(response.status).toBe(409);
      expect(response.headers.get('content-type')).toBe('application/problem+json');
      expect(((await response.json()) as { detail: string }).detail).toMatch(detail);
      expect(await sagaState(stack.database.db, sagaId)).toEqual(before);
      expect(await auditRows(sagaId)).toHaveLength(audited);
    }
  });

  it('answers 404 for an unknown saga, 422 for a malformed id, and 403 to a viewer', async () => {
    expect((await act(randomUUID(), 'retry-step')).status).toBe(404);
    expect((await act('42', 'compensate')).status).toBe(422);
    const viewer = await createTestSession(stack.database.db, stack.orchestrator.app, 'viewer');
    const sagaId = await start();
    expect((await viewer.request(`/sagas/${sagaId}/compensate`, { method: 'POST' })).status).toBe(403);
    expect((await sagaState(stack.database.db, sagaId)).status).toBe('running');
    expect(await auditRows(sagaId)).toHaveLength(0);
  });
});
