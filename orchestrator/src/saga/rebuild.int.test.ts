// `saga.instances` rebuilt from `saga.events` after a mixed run: every row reproduced, damaged rows repaired.
import { randomUUID } from 'node:crypto';
import { sagaInstances } from '@sagaport/db';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { answerAwaited, failedSaga, sagaState, startCheckout } from '../test-support/saga-fixtures.js';
import { startTestStack, type TestStack } from '../test-support/stack.js';
import { rebuildSagas } from './rebuild.js';
import { OperatorAction } from './types.js';

describe('sagas rebuilt from their events (real PostgreSQL and RabbitMQ)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    // A long step timeout: the test moves deadlines itself.
    stack = await startTestStack({ stepTimeoutMs: 60_000, maxSends: 2, timeoutScanIntervalMs: 60_000 });
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  /** Every row, every column (dates as Date, JSON parsed), in id order. */
  const snapshot = () => stack.database.db.select().from(sagaInstances).orderBy(sagaInstances.id);

  /** A run of every kind of saga the engine produces, each through a different path. */
  async function mixedRun(): Promise<Record<string, string>> {
    const { app, engine } = stack.orchestrator;
    const { db } = stack.database;
    const customer = () => `cust-${randomUUID()}`;
    const answer = (id: string, outcome: 'succeeded' | 'failed') => answerAwaited(db, engine, id, outcome);

    const completed = await startCheckout(app, customer());
    for (let step = 0; step < 5; step += 1) await answer(completed, 'succeeded');

    // A reply delivered twice (the second is ignored and changes nothing).
    const duplicate = await startCheckout(app, customer());
    const create = (await sagaState(db, duplicate)).awaiting!;
    const reply = {
      type: `${create.type}.reply`,
      messageId: randomUUID(),
      causationId: create.messageId,
      body: { outcome: 'succeeded' as const, result: {} },
    };
    await engine.handleReply(duplicate, reply);
    await engine.handleReply(duplicate, reply);

    // Stock refused: the order is cancelled, the saga compensated.
    const compensated = await startCheckout(app, customer());
    await answer(compensated, 'succeeded');
    await answer(compensated, 'failed');
    await answer(compensated, 'succeeded');

    // A compensation refused: failed; then an operator retries it and it is answered.
    const failed = await failedSaga(app, db, engine, customer());
    const retried = await failedSaga(app, db, engine, customer());
    const decision = await engine.operatorAction(
      retried,
      OperatorAction.retryStep,
      'ops@example.com',
      async () => {},
    );
    expect(decision.applicable).toBe(true);
    await answer(retried, 'succeeded');

    // A step timed out and resent (its deadline moved into the past), then held once.
    const resent = await startCheckout(app, customer());
    const pastDeadline = () =>
      db
        .update(sagaInstances)
        .set({ deadlineAt: sql`now() - interval '1 second'` })
        .where(eq(sagaInstances.id, resent));
    await pastDeadline();
    expect((await engine.handleTimeout(resent))?.changed).toBe(true);
    await pastDeadline();
    const [row] = await db.select().from(sagaInstances).where(eq(sagaInstances.id, resent));
    const state = await sagaState(db, resent);
    expect(
      await engine.holdDeadlines([
        {
          id: resent,
          version: row!.version,
          sagaType: row!.sagaType,
          step: row!.currentStep,
          commandType: state.awaiting!.type,
          sentAt: state.awaiting!.sentAt ?? null,
        },
      ]),
    ).toEqual([resent]);

    // An operator abandons a running step: compensated.
    const abandoned = await startCheckout(app, customer());
    await answer(abandoned, 'succeeded');
    await engine.operatorAction(abandoned, OperatorAction.compensate, 'ops@example.com', async () => {});
    await answer(abandoned, 'succeeded');
    await answer(abandoned, 'succeeded');

    const running = await startCheckout(app, customer());
    await answer(running, 'succeeded');
    return { completed, duplicate, compensated, failed, retried, resent, abandoned, running };
  }

  it('reproduces every row of a mixed run, and rewrites damaged or deleted rows with --apply', async () => {
    const sagas = await mixedRun();
    const statuses = Object.fromEntries(
      await Promise.all(
        Object.entries(sagas).map(async ([name, id]): Promise<[string, string]> => [
          name,
          (await sagaState(stack.database.db, id)).status,
        ]),
      ),
    );
    expect(statuses).toEqual({
      completed: 'completed',
      duplicate: 'running',
      compensated: 'compensated',
      failed: 'failed',
      retried: 'compensated',
      resent: 'running',
      abandoned: 'compensated',
      running: 'running',
    });
    const live = await snapshot();

    const compared = await rebuildSagas(stack.database.sql, { apply: false, pageSize: 3 });
    expect(compared).toMatchObject({
      sagas: live.length,
      identical: live.length,
      differing: 0,
      missing: 0,
      without_state: 0,
      rows_without_events: 0,
      examples: [],
    });

    // Damage: a row deleted, one set back a version, one with a wrong outcome and keys.
    const { db } = stack.database;
    await db.delete(sagaInstances).where(eq(sagaInstances.id, sagas.completed!));
    const retried = live.find((r) => r.id === sagas.retried)!;
    await db
      .update(sagaInstances)
      .set({ status: 'failed', version: retried.version - 1, state: { damaged: true } })
      .where(eq(sagaInstances.id, sagas.retried!));
    await db
      .update(sagaInstances)
      .set({ outcome: 'completed', businessKeys: { orderId: 'wrong' }, deadlineAt: null })
      .where(eq(sagaInstances.id, sagas.resent!));

    const damaged = await rebuildSagas(stack.database.sql, { apply: false });
    expect(damaged).toMatchObject({ identical: live.length - 3, differing: 2, missing: 1 });
    expect(damaged.columns).toEqual({
      status: 1,
      version: 1,
      state: 1,
      outcome: 1,
      business_keys: 1,
      deadline_at: 1,
    });
    expect(new Set(damaged.examples.map((e) => e.id))).toEqual(
      new Set([sagas.completed, sagas.retried, sagas.resent]),
    );

    const applied = await rebuildSagas(stack.database.sql, { apply: true, pageSize: 2 });
    expect(applied.written).toBe(3);
    expect(await snapshot()).toEqual(live);
    expect(await rebuildSagas(stack.database.sql, { apply: false })).toMatchObject({
      identical: live.length,
      differing: 0,
      missing: 0,
    });

    // A state change logged without its state (an older orchestrator during an upgrade): the
    // saga's newest state is unknown, so it is reported and left alone, never set back.
    await stack.database.sql`
      update saga.events set state = null
      where id = (select max(id) from saga.events where saga_id = ${sagas.compensated!} and state is not null)`;
    await db.update(sagaInstances).set({ outcome: null }).where(eq(sagaInstances.id, sagas.compensated!));
    const unknown = await rebuildSagas(stack.database.sql, { apply: true });
    expect(unknown).toMatchObject({ without_state: 1, differing: 0, missing: 0, written: 0 });
    const [kept] = await db.select().from(sagaInstances).where(eq(sagaInstances.id, sagas.compensated!));
    expect(kept).toMatchObject({ status: 'compensated', outcome: null });
  });
});
