import { randomUUID } from 'node:crypto';
import { outbox, sagaEvents, sagaInstances } from '@sagaport/db';
import { drainQueue, eventually } from '@sagaport/rabbitmq/testing';
import { asc, count, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerAwaited, sagaState, startCheckout } from '../test-support/saga-fixtures.js';
import { startTestStack, type TestStack } from '../test-support/stack.js';

const STEP_TIMEOUT_MS = 500;
const MAX_SENDS = 3;

describe('timeout scanner (real PostgreSQL and RabbitMQ, workers that never answer)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({
      stepTimeoutMs: STEP_TIMEOUT_MS,
      maxSends: MAX_SENDS,
      timeoutScanIntervalMs: 50,
    });
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  /** What a worker's queue received: type and message id of each command, in order. */
  async function received(queue: string) {
    const messages = await drainQueue(await stack.broker.admin(), queue);
    return messages.map((m) => ({
      type: m.properties.type as string,
      messageId: m.properties.messageId as string,
    }));
  }

  it('resends an unanswered step with the same message id, compensates after the limit, and fails when the compensation is not answered either', async () => {
    const { db } = stack.database;
    const { queues } = stack.broker.topology;
    const sagaId = await startCheckout(stack.orchestrator.app, `cust-${randomUUID()}`);
    const create = (await sagaState(db, sagaId)).awaiting!;
    // The order worker answers (perhaps after a resend of the same id); the inventory never does.
    await answerAwaited(db, stack.orchestrator.engine, sagaId, 'succeeded');
    const reserve = (await sagaState(db, sagaId)).awaiting!;
    expect(reserve.type).toBe('inventory.reserve');

    const ended = async () =>
      ['completed', 'compensated', 'failed'].includes((await sagaState(db, sagaId)).status);
    expect(await eventually(ended, 30_000), 'the saga ends').toBe(true);
    expect((await sagaState(db, sagaId)).status).toBe('failed');
    // Every command the saga wrote is published once the outbox is empty: a row is deleted only
    // after the broker confirmed it.
    expect(
      await eventually(async () => (await db.select({ n: count() }).from(outbox))[0]!.n === 0, 10_000),
    ).toBe(true);

    const inventory = await received(queues.commands.inventory);
    // Three sends of the reservation, all one message id (a worker that did reserve answers
    // from its inbox instead of reserving twice); then three sends of its compensation, under
    // an id of its own.
    const sends = (type: string, messageId: string) =>
      Array.from({ length: MAX_SENDS }, () => ({ type, messageId }));
    const releaseId = inventory[MAX_SENDS]?.messageId ?? 'no inventory.release';
    expect(releaseId).not.toBe(reserve.messageId);
    expect(inventory).toEqual([
      ...sends('inventory.reserve', reserve.messageId),
      ...sends('inventory.release', releaseId),
    ]);
    // The order step's compensation never ran: the saga stopped at the release nobody answered.
    const orders = await received(queues.commands.order);
    expect(new Set(orders.map((m) => `${m.type} ${m.messageId}`))).toEqual(
      new Set([`order.create ${create.messageId}`]),
    );

    const [row] = await db.select().from(sagaInstances).where(eq(sagaInstances.id, sagaId));
    expect(row).toMatchObject({
      status: 'failed',
      outcome: 'failed',
      currentStep: null,
      deadlineAt: null,
      failureReason: {
        code: 'step_timeout',
        message: `no reply to inventory.release after ${MAX_SENDS} sends`,
      },
    });
    const state = await sagaState(db, sagaId);
    expect(state).toMatchObject({
      awaiting: null,
      completed: ['createOrder'],
      toCompensate: ['createOrder'],
      failure: { step: 'reserveStock', code: 'step_timeout' },
    });
    const events = await db
      .select({ kind: sagaEvents.kind, messageType: sagaEvents.messageType })
      .from(sagaEvents)
      .where(eq(sagaEvents.sagaId, sagaId))
      .orderBy(asc(sagaEvents.id));
    const afterReserve = events
      .slice(events.findIndex((e) => e.kind === 'step.succeeded'))
      .map((e) => (e.messageType ? `${e.kind} ${e.messageType}` : e.kind));
    expect(afterReserve).toEqual([
      'step.succeeded',
      'command.sent inventory.reserve',
      'command.resent',
      'command.sent inventory.reserve',
      'command.resent',
      'command.sent inventory.reserve',
      'step.timed-out',
      'command.sent inventory.release',
      'command.resent',
      'command.sent inventory.release',
      'command.resent',
      'command.sent inventory.release',
      'step.timed-out',
      'saga.failed',
    ]);
  });
});
