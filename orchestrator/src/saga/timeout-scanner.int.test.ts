import { randomUUID } from 'node:crypto';
import { outbox, sagaEvents, sagaInstances } from '@sagaport/db';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@sagaport/db/testing';
import { drainQueue, eventually } from '@sagaport/rabbitmq/testing';
import { asc, count, eq } from 'drizzle-orm';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { answerAwaited, sagaState, startCheckout } from '../test-support/saga-fixtures.js';
import { startTestStack, type TestStack } from '../test-support/stack.js';
import { dueSagas } from './timeout-scanner.js';
import { inFlight } from './transition.js';

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
    // The hold was sent with the order, at the start; from here on it is the only command in flight.
    expect(afterReserve).toEqual([
      'step.succeeded',
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

describe('timeout scanner holding deadlines (real PostgreSQL and RabbitMQ, no workers)', () => {
  const HOLD_MAX_MS = 3_000;
  let stack: TestStack | undefined;
  afterEach(async () => {
    await stack?.cleanup();
    stack = undefined;
  });
  const start = async () => {
    stack = await startTestStack({
      stepTimeoutMs: STEP_TIMEOUT_MS,
      maxSends: MAX_SENDS,
      timeoutScanIntervalMs: 50,
      stepHoldMaxMs: HOLD_MAX_MS,
    });
    return stack;
  };
  const resentEvents = async (current: TestStack, sagaId: string) =>
    (
      await current.database.db
        .select({ kind: sagaEvents.kind })
        .from(sagaEvents)
        .where(eq(sagaEvents.sagaId, sagaId))
    ).filter((e) => e.kind === 'command.resent').length;

  it('holds a step whose command waits in its queue (no resend, no send counted), and resends once the hold runs out', async () => {
    const current = await start();
    const { db } = current.database;
    const sagaId = await startCheckout(current.orchestrator.app, `cust-${randomUUID()}`);
    const sentAt = (await sagaState(db, sagaId)).awaiting!.sentAt!;

    // Four step timeouts pass with the order command still in its queue: nothing is resent.
    await sleep(4 * STEP_TIMEOUT_MS);
    expect((await sagaState(db, sagaId)).awaiting).toMatchObject({ type: 'order.create', sends: 1 });
    expect(await resentEvents(current, sagaId)).toBe(0);
    const [row] = await db
      .select({ deadlineAt: sagaInstances.deadlineAt })
      .from(sagaInstances)
      .where(eq(sagaInstances.id, sagaId));
    expect(row!.deadlineAt!.getTime()).toBeGreaterThan(Date.now() - 200);

    // Past the hold, the step times out as before: the same message id again, one send counted.
    expect(
      await eventually(async () => (await sagaState(db, sagaId)).awaiting!.sends >= 2, 10_000),
      'resent after the hold',
    ).toBe(true);
    expect(Date.now() - sentAt).toBeGreaterThanOrEqual(HOLD_MAX_MS);
    const orders = await drainQueue(
      await current.broker.admin(),
      current.broker.topology.queues.commands.order,
    );
    expect(new Set(orders.map((m) => m.properties.messageId as string)).size).toBe(1);
    expect(orders.length).toBeGreaterThanOrEqual(2);
  });

  it('holds a stage while any of its commands waits in its queue (the order taken, the stock hold still queued)', async () => {
    const current = await start();
    const { db } = current.database;
    const { order } = current.broker.topology.queues.commands;
    const sagaId = await startCheckout(current.orchestrator.app, `cust-${randomUUID()}`);
    const admin = await current.broker.admin();
    // The order worker took its command and died with it; the inventory's command is still queued.
    expect(await eventually(async () => (await drainQueue(admin, order)).length === 1, 5_000)).toBe(true);
    await sleep(3 * STEP_TIMEOUT_MS);
    expect(await resentEvents(current, sagaId)).toBe(0);
    expect(inFlight(await sagaState(db, sagaId)).map((c) => c.sends)).toEqual([1, 1]);
  });

  it('resends at the deadline when the command waits nowhere (taken from its queue, never answered)', async () => {
    const current = await start();
    const { db } = current.database;
    const { order, inventory } = current.broker.topology.queues.commands;
    const sagaId = await startCheckout(current.orchestrator.app, `cust-${randomUUID()}`);
    const admin = await current.broker.admin();
    // Workers took the stage's two commands and died with them unanswered: the queues are empty again.
    for (const queue of [order, inventory])
      expect(await eventually(async () => (await drainQueue(admin, queue)).length === 1, 5_000)).toBe(true);
    expect(
      await eventually(async () => (await sagaState(db, sagaId)).awaiting!.sends === 2, 5_000),
      'resent at the first deadline',
    ).toBe(true);
    // One resend per command in flight: the order and the stock hold.
    expect(await resentEvents(current, sagaId)).toBe(2);
    expect((await sagaState(db, sagaId)).alongside).toMatchObject([{ type: 'inventory.reserve', sends: 2 }]);
  });
});

describe("timeout scanner's query under the pool's generic plans (real PostgreSQL)", () => {
  let database: MigratedTestDatabase;
  beforeAll(async () => {
    database = await createMigratedTestDatabase(2, 'timeout-plan-test');
  });
  afterAll(async () => {
    await database?.dispose();
  });

  /** The plan PostgreSQL caches for the scanner's statement, as the pool prepares it. */
  async function cachedPlan(): Promise<string> {
    const { sql: text, params } = dueSagas(database.db, 200).toSQL();
    // The statuses are in the text, where the planner sees them; only the limit is bound.
    expect(params).toEqual([200]);
    const connection = await database.sql.reserve();
    try {
      await connection.unsafe('set plan_cache_mode = force_generic_plan');
      await connection.unsafe(`prepare due_sagas as ${text}`);
      const rows = await connection.unsafe<{ 'QUERY PLAN': string }[]>('explain execute due_sagas(200)');
      await connection.unsafe('deallocate due_sagas');
      return rows.map((row) => row['QUERY PLAN']).join('\n');
    } finally {
      connection.release();
    }
  }

  it('reads the few unfinished sagas of a large table through the status index, not a scan of every saga', async () => {
    // 20,000 ended sagas (completed, compensated, failed, rejected) and 20 running ones past
    // their deadline, with fresh statistics.
    await database.sql`
      insert into saga.instances (id, saga_type, status, state, version, deadline_at)
      select gen_random_uuid(), 'checkout',
        case when g <= 20 then 'running'
          else (array['completed', 'compensated', 'failed', 'rejected'])[1 + g % 4] end,
        '{}'::jsonb, 1, case when g <= 20 then now() - interval '1 second' end
      from generate_series(1, 20020) g`;
    await database.sql`analyze saga.instances`;
    const plan = await cachedPlan();
    expect(plan).toContain('instances_status_idx');
    expect(plan).not.toMatch(/Seq Scan on instances/);
    expect(await dueSagas(database.db, 200)).toHaveLength(20);
  });
});
