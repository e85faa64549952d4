import { randomUUID } from 'node:crypto';
import { createDatabase, outbox, sagaEvents, sagaInstances, type DatabaseHandle } from '@sagaport/db';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@sagaport/db/testing';
import { buildTopology, silentLogger, type ConfirmPublisher } from '@sagaport/rabbitmq';
import { OutboxDispatcher, recordSpans } from '@sagaport/runtime';
import { eventually } from '@sagaport/rabbitmq/testing';
import { and, asc, eq, sql } from 'drizzle-orm';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkoutBody } from '../test-support/saga-fixtures.js';
import type { CheckoutData } from './checkout-saga.js';
import { SagaEngine } from './engine.js';
import { sagaRegistry } from './sagas.js';
import type { ReplyInput, SagaState } from './types.js';

/**
 * Two orchestrator processes moving one saga at the same moment: two engines, each on its own
 * connection pool, against the real PostgreSQL. No dispatcher: commands stay in the outbox,
 * where they can be counted.
 */
describe('saga engine under concurrent transitions (optimistic concurrency on `version`)', () => {
  let database: MigratedTestDatabase;
  let other: DatabaseHandle;
  let first: SagaEngine;
  let second: SagaEngine;
  /** What `first` reported of each transaction of replies: `source/outcome:count`. */
  let decisions: string[];

  beforeEach(async () => {
    decisions = [];
    database = await createMigratedTestDatabase(4, 'engine-a');
    other = createDatabase({ url: database.url, poolMax: 2, applicationName: 'engine-b' });
    const options = {
      topology: buildTopology({ prefix: `test-${randomUUID()}.` }),
      registry: sagaRegistry,
      stepTimeoutMs: 60_000,
      maxSends: 3,
    };
    first = new SagaEngine({
      ...options,
      db: database.db,
      sql: database.sql,
      onDecided: (source, outcome, count) => decisions.push(`${source}/${outcome}:${count}`),
    });
    second = new SagaEngine({ ...options, db: other.db, sql: other.sql });
  });
  afterEach(async () => {
    await other.close();
    await database.dispose();
  });

  const checkout = (): CheckoutData => {
    const { items, ...body } = checkoutBody(`cust-${randomUUID()}`, 'ada@example.com');
    return {
      ...body,
      orderId: randomUUID(),
      items: items.map((line) => ({ ...line, unitPriceCents: 500 })),
      currency: 'EUR',
      totalCents: 1000,
    };
  };

  /** Starts a saga; it then awaits order.create. */
  async function startSaga() {
    const sagaId = randomUUID();
    await first.start('checkout', {
      idempotencyKey: randomUUID(),
      requestHash: 'test',
      sagaId,
      data: checkout(),
    });
    return sagaId;
  }

  async function saga(sagaId: string) {
    const [row] = await database.db.select().from(sagaInstances).where(eq(sagaInstances.id, sagaId));
    return { ...row!, state: row!.state as SagaState };
  }

  const events = (sagaId: string) =>
    database.db.select().from(sagaEvents).where(eq(sagaEvents.sagaId, sagaId)).orderBy(asc(sagaEvents.id));

  const commands = async (sagaId: string) =>
    (
      await database.db.select().from(outbox).where(eq(outbox.correlationId, sagaId)).orderBy(asc(outbox.id))
    ).map((r) => ({
      type: r.messageType,
      messageId: r.messageId,
    }));

  /** The order worker's answer to `messageId`. */
  const orderCreated = (messageId: string): ReplyInput => ({
    type: 'order.create.reply',
    messageId: randomUUID(),
    causationId: messageId,
    body: { outcome: 'succeeded', result: {} },
  });

  /** Sessions of this database waiting for a lock. */
  async function lockWaiters(): Promise<number> {
    const [row] = await database.sql<{ n: number }[]>`
      select count(*)::int as n from pg_stat_activity
       where datname = current_database() and wait_event_type = 'Lock'`;
    return row!.n;
  }

  /**
   * Makes `calls` collide: a third session holds the saga's row lock while each call in turn
   * reads the saga (a plain read is not blocked) and reaches its UPDATE, where it waits. Once
   * all of them wait, having read the same version, the lock is released and they race.
   */
  async function atTheSameMoment<T>(sagaId: string, calls: (() => Promise<T>)[]) {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let locked!: () => void;
    const isLocked = new Promise<void>((resolve) => (locked = resolve));
    const blocker = database.sql.begin(async (tx) => {
      await tx`select 1 from saga.instances where id = ${sagaId} for update`;
      locked();
      await released;
    });
    await isLocked;
    const running: Promise<T>[] = [];
    try {
      for (const call of calls) {
        running.push(call());
        const waiting = running.length;
        expect(
          await eventually(async () => (await lockWaiters()) === waiting, 10_000),
          `call ${waiting} waits on the saga's row`,
        ).toBe(true);
      }
    } finally {
      release();
      await blocker;
    }
    return Promise.allSettled(running);
  }

  it('starts the checkouts that arrive together as if each were alone; a key taken before gets nothing', async () => {
    const taken = randomUUID();
    const earlier = randomUUID();
    await first.start('checkout', {
      idempotencyKey: taken,
      requestHash: 'test',
      sagaId: earlier,
      data: checkout(),
    });
    const starts = Array.from({ length: 6 }, (_, i) => ({
      idempotencyKey: i === 3 ? taken : randomUUID(),
      requestHash: 'test',
      sagaId: randomUUID(),
      data: checkout(),
    }));
    // Started in the same turn of the event loop, as concurrent requests are.
    const results = await Promise.all(starts.map((start) => first.start('checkout', start)));
    expect(results[3]).toBeUndefined();
    for (const [i, start] of starts.entries()) {
      if (i === 3) {
        expect(
          await database.db.select().from(sagaInstances).where(eq(sagaInstances.id, start.sagaId)),
        ).toEqual([]);
        continue;
      }
      const rows = results[i]!;
      expect(rows.map((r) => [r.correlationId, r.messageType])).toEqual([
        [start.sagaId, 'order.create'],
        [start.sagaId, 'inventory.reserve'],
      ]);
      expect((await saga(start.sagaId)).status).toBe('running');
      expect((await events(start.sagaId)).length).toBeGreaterThan(0);
      expect(await commands(start.sagaId)).toHaveLength(2);
    }
  });

  it("keeps each state change's state and each command's payload in the event log, in the events' order", async () => {
    const starts = Array.from({ length: 3 }, () => ({
      idempotencyKey: randomUUID(),
      requestHash: 'test',
      sagaId: randomUUID(),
      data: checkout(),
    }));
    // Together: one statement for the three starts, then one batch of the three orders' replies.
    await Promise.all(starts.map((start) => first.start('checkout', start)));
    const awaited = await Promise.all(starts.map(async (s) => (await saga(s.sagaId)).state.awaiting!));
    await first.handleReplies(
      starts.map((s, ref) => ({ sagaId: s.sagaId, ref, reply: orderCreated(awaited[ref]!.messageId) })),
    );
    // Then the holds' replies in one batch: each sends the charge.
    const holds = await Promise.all(starts.map(async (s) => (await saga(s.sagaId)).state.awaiting!));
    const held = { reservationId: randomUUID(), expiresAt: new Date().toISOString() };
    await first.handleReplies(
      starts.map((s, ref) => ({
        sagaId: s.sagaId,
        ref,
        reply: {
          type: 'inventory.reserve.reply',
          messageId: randomUUID(),
          causationId: holds[ref]!.messageId,
          body: { outcome: 'succeeded' as const, result: held },
        },
      })),
    );
    for (const { sagaId } of starts) {
      const row = await saga(sagaId);
      const log = await events(sagaId);
      // The last row of each state change carries the state it wrote: the latest is the row's.
      const states = log.filter((e) => e.state !== null);
      expect(states.map((e) => e.version)).toEqual([1, 2, 3]);
      expect(states.at(-1)!.state).toEqual(row.state);
      expect(states[0]!.state).toMatchObject({
        awaiting: { step: 'createOrder' },
        alongside: [{ step: 'reserveStock' }],
      });
      // Every command sent carries its payload, as its outbox row does.
      const outboxRows = await database.db.select().from(outbox).where(eq(outbox.correlationId, sagaId));
      const sent = log.filter((e) => e.kind === 'command.sent');
      expect(sent.map((e) => e.messageType)).toEqual(['order.create', 'inventory.reserve', 'payment.charge']);
      for (const event of sent) {
        expect(event.detail).not.toBeNull();
        expect(event.detail).toEqual(outboxRows.find((o) => o.messageId === event.messageId)!.payload);
      }
    }
  });

  it('handles one reply delivered to two orchestrators at once exactly once: the loser re-reads and ignores it', async () => {
    const sagaId = await startSaga();
    const create = (await saga(sagaId)).state.awaiting!;
    const reply = orderCreated(create.messageId);

    const results = await atTheSameMoment(sagaId, [
      () => first.handleReply(sagaId, reply),
      () => second.handleReply(sagaId, reply),
    ]);

    // Neither call failed: the one that lost the version check retried on the new state.
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled']);
    const transitions = results.map((r) => (r.status === 'fulfilled' ? r.value.changed : undefined));
    expect(transitions.sort()).toEqual([false, true]);
    const after = await saga(sagaId);
    expect(after).toMatchObject({ version: 2, status: 'running', currentStep: 'reserveStock' });
    expect(after.state.completed).toEqual(['createOrder']);
    // One transition: one step success and one reservation, the one the saga awaits; no
    // second reservation under another id that the saga would never accept a reply to.
    const reserve = after.state.awaiting!;
    expect(reserve.type).toBe('inventory.reserve');
    expect(await commands(sagaId)).toEqual([
      { type: 'order.create', messageId: create.messageId },
      { type: 'inventory.reserve', messageId: reserve.messageId },
    ]);
    const log = await events(sagaId);
    expect(log.filter((e) => e.kind === 'step.succeeded')).toHaveLength(1);
    expect(log.filter((e) => e.kind === 'reply.received')).toHaveLength(2);
    // The loser decided on the saga as the winner left it (version 2), not on what it first read.
    const ignored = log.filter((e) => e.kind === 'reply.ignored');
    expect(ignored).toHaveLength(1);
    expect(ignored[0]!.version).toBe(2);
  });

  it('keeps a reply that commits while a timeout of the same step is being handled: no lost update', async () => {
    const sagaId = await startSaga();
    const create = (await saga(sagaId)).state.awaiting!;
    // The step's deadline has passed: the timeout handler would resend order.create.
    await database.db
      .update(sagaInstances)
      .set({ deadlineAt: sql`now() - interval '1 second'` })
      .where(eq(sagaInstances.id, sagaId));

    // The reply reaches the row first; the timeout, decided on the same old state, second.
    const [replied, timedOut] = await atTheSameMoment<unknown>(sagaId, [
      () => first.handleReply(sagaId, orderCreated(create.messageId)),
      () => second.handleTimeout(sagaId),
    ]);

    const after = await saga(sagaId);
    expect(after).toMatchObject({ version: 2, status: 'running', currentStep: 'reserveStock' });
    expect(after.state).toMatchObject({
      completed: ['createOrder'],
      awaiting: { type: 'inventory.reserve', sends: 1 },
    });
    expect(replied).toMatchObject({ status: 'fulfilled', value: { changed: true } });
    // Re-read after the reply, the step has a new deadline: nothing is due any more.
    expect(timedOut).toEqual({ status: 'fulfilled', value: undefined });
    expect(after.deadlineAt!.getTime()).toBeGreaterThan(Date.now());
    expect((await commands(sagaId)).map((c) => c.type)).toEqual(['order.create', 'inventory.reserve']);
    expect((await events(sagaId)).map((e) => e.kind)).not.toContain('command.resent');
  });

  it('applies a batch holding a reply, its duplicate and a late reply of the same saga as if they came one by one', async () => {
    const sagaId = await startSaga();
    const create = (await saga(sagaId)).state.awaiting!;
    const reply = orderCreated(create.messageId);
    // Late: the worker's failure answer to the same command, after the success moved the saga on.
    const late: ReplyInput = {
      type: 'order.create.reply',
      messageId: randomUUID(),
      causationId: create.messageId,
      body: { outcome: 'failed', reason: { code: 'order_exists', message: 'late and wrong' } },
    };

    const results = await first.handleReplies([
      { sagaId, reply, ref: 'reply' },
      { sagaId, reply, ref: 'duplicate' },
      { sagaId, reply: late, ref: 'late' },
    ]);

    expect(
      results.map((r) => ('transition' in r ? [r.ref, r.transition.changed] : [r.ref, 'error'])),
    ).toEqual([
      ['reply', true],
      ['duplicate', false],
      ['late', false],
    ]);
    const after = await saga(sagaId);
    expect(after).toMatchObject({ version: 2, status: 'running', currentStep: 'reserveStock' });
    expect((await commands(sagaId)).map((c) => c.type)).toEqual(['order.create', 'inventory.reserve']);
    const log = await events(sagaId);
    expect(log.filter((e) => e.kind === 'reply.received')).toHaveLength(3);
    expect(log.filter((e) => e.kind === 'reply.ignored')).toHaveLength(2);
    expect(log.filter((e) => e.kind === 'step.refused')).toHaveLength(0);
  });

  it("counts each change of a batch in the saga's version, as if the replies came one by one, so the next reply is decided from the state it kept", async () => {
    const sagaId = await startSaga();
    const before = await saga(sagaId);
    const [create, reserve] = [before.state.awaiting!, before.state.alongside![0]!];
    // Both commands of the first stage answered in one batch: two changes of the saga.
    await first.handleReplies([
      { sagaId, ref: 0, reply: orderCreated(create.messageId) },
      {
        sagaId,
        ref: 1,
        reply: {
          type: 'inventory.reserve.reply',
          messageId: randomUUID(),
          causationId: reserve.messageId,
          body: { outcome: 'succeeded', result: { reservationId: randomUUID() } },
        },
      },
    ]);
    const after = await saga(sagaId);
    expect(after).toMatchObject({ version: 3, currentStep: 'chargePayment' });
    // The log's versions and the row's agree: a rebuild from the log gives the same row.
    const log = await events(sagaId);
    expect(Math.max(...log.map((e) => e.version))).toBe(3);
    expect(log.filter((e) => e.state !== null).map((e) => e.version)).toEqual([1, 2, 3]);
    // The charge's reply is decided from the state `first` kept, and written at once.
    decisions.length = 0;
    await first.handleReplies([
      {
        sagaId,
        ref: 2,
        reply: {
          type: 'payment.charge.reply',
          messageId: randomUUID(),
          causationId: after.state.awaiting!.messageId,
          body: { outcome: 'succeeded', result: { chargeId: randomUUID(), amountCents: 1000 } },
        },
      },
    ]);
    expect(decisions).toEqual(['kept/written:1']);
    expect(await saga(sagaId)).toMatchObject({ version: 4, currentStep: 'scheduleShipping' });
  });

  it('commits the rest of a batch once and decides again only the saga another orchestrator moved meanwhile', async () => {
    const contested = await startSaga();
    const bystander = await startSaga();
    const reply = (sagaId: string) => async () =>
      orderCreated((await saga(sagaId)).state.awaiting!.messageId);
    const contestedReply = await reply(contested)();
    const bystanderReply = await reply(bystander)();

    // The batch of `first` (both sagas) and the single reply of `second` collide on `contested`.
    const [batch, single] = await atTheSameMoment<unknown>(contested, [
      () =>
        first.handleReplies([
          { sagaId: bystander, reply: bystanderReply, ref: 'bystander' },
          { sagaId: contested, reply: contestedReply, ref: 'contested' },
        ]),
      () => second.handleReply(contested, contestedReply),
    ]);
    expect(batch).toMatchObject({ status: 'fulfilled' });
    expect(single).toMatchObject({ status: 'fulfilled' });
    for (const sagaId of [contested, bystander]) {
      expect(await saga(sagaId)).toMatchObject({ version: 2, currentStep: 'reserveStock' });
      expect((await commands(sagaId)).map((c) => c.type)).toEqual(['order.create', 'inventory.reserve']);
      expect((await events(sagaId)).filter((e) => e.kind === 'step.succeeded')).toHaveLength(1);
    }
    // The batch lost the race on `contested` (or won it): either way exactly one reply was ignored there.
    expect((await events(contested)).filter((e) => e.kind === 'reply.ignored')).toHaveLength(1);
    expect((await events(bystander)).filter((e) => e.kind === 'reply.ignored')).toHaveLength(0);
  });

  it('decides a reply again on the saga as another orchestrator left it when the state it kept is stale', async () => {
    const sagaId = await startSaga(); // `first` wrote version 1 and keeps it
    const create = (await saga(sagaId)).state.awaiting!;
    await second.handleReply(sagaId, orderCreated(create.messageId));
    const reserve = (await saga(sagaId)).state.awaiting!;
    expect(reserve.type).toBe('inventory.reserve');

    // Decided from the version `first` kept (awaiting order.create), the stock reply would be
    // ignored as unexpected and the saga would stall; its version check fails instead, and the
    // saga is read and the reply decided again.
    const transition = await first.handleReply(sagaId, {
      type: 'inventory.reserve.reply',
      messageId: randomUUID(),
      causationId: reserve.messageId,
      body: { outcome: 'succeeded', result: { reservationId: randomUUID() } },
    });
    expect(transition.changed).toBe(true);
    expect(decisions).toEqual(['kept/stale:1', 'read/written:1']);
    expect(await saga(sagaId)).toMatchObject({ version: 3, status: 'running', currentStep: 'chargePayment' });
    const log = await events(sagaId);
    expect(log.filter((e) => e.kind === 'reply.ignored')).toHaveLength(0);
    expect(log.filter((e) => e.kind === 'step.succeeded')).toHaveLength(2);
    // Nothing was written for the stale decision: every row of the log has a version the saga had.
    expect(log.every((e) => e.version >= 1 && e.version <= 3)).toBe(true);
    expect(log.filter((e) => e.kind === 'reply.received').map((e) => e.version)).toEqual([2, 3]);
    expect((await commands(sagaId)).map((c) => c.type)).toEqual([
      'order.create',
      'inventory.reserve',
      'payment.charge',
    ]);
  });

  it('exports the span of a decision only once it commits: a stale decision leaves none, the one made again says so', async () => {
    const sagaId = await startSaga();
    const create = (await saga(sagaId)).state.awaiting!;
    await second.handleReply(sagaId, orderCreated(create.messageId));
    const reserve = (await saga(sagaId)).state.awaiting!;
    const recording = await recordSpans();
    try {
      // `first` decides from the version it kept, loses the version check, then decides again.
      await first.handleReplies([
        {
          sagaId,
          ref: 0,
          reply: {
            type: 'inventory.reserve.reply',
            messageId: randomUUID(),
            causationId: reserve.messageId,
            body: { outcome: 'succeeded', result: { reservationId: randomUUID() } },
          },
        },
      ]);
      expect(decisions).toEqual(['kept/stale:1', 'read/written:1']);
      const replies = recording.spans().filter((span) => span.name === 'saga reply');
      expect(replies).toHaveLength(1);
      expect(replies[0]!.attributes).toMatchObject({
        'saga.id': sagaId,
        'saga.attempt': 2,
        'saga.step': 'chargePayment',
        'saga.changed': true,
      });
      // The command sent descends from the committed decision's span, not the stale one's.
      const [charge] = await database.db
        .select({ headers: outbox.headers })
        .from(outbox)
        .where(and(eq(outbox.correlationId, sagaId), eq(outbox.messageType, 'payment.charge')));
      const [, traceId, sendSpanId] = String(charge!.headers['traceparent']).split('-');
      const send = recording.spans().find((span) => span.spanId === sendSpanId);
      expect(send).toMatchObject({ traceId: replies[0]!.traceId, parentSpanId: replies[0]!.spanId });
      expect(traceId).toBe(replies[0]!.traceId);
    } finally {
      await recording.stop();
    }
  });

  it("keeps a stage's deadline when one of its commands is answered: the other's time runs from its own send", async () => {
    const sagaId = await startSaga();
    const before = await saga(sagaId);
    expect(before.state.alongside?.map((c) => c.step)).toEqual(['reserveStock']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await first.handleReplies([{ sagaId, ref: 0, reply: orderCreated(before.state.awaiting!.messageId) }]);
    const after = await saga(sagaId);
    expect(after.state.awaiting?.step).toBe('reserveStock');
    expect(after.version).toBe(before.version + 1);
    // Both commands were sent at the start with the same timeout: the answer 300 ms later moves nothing.
    expect(after.deadlineAt!.getTime()).toBe(before.deadlineAt!.getTime());
  });

  it('decides a reply to a saga it moved last from the state it kept, and keeps what it wrote', async () => {
    const sagaId = await startSaga();
    const create = (await saga(sagaId)).state.awaiting!;
    // The row is made unreadable behind the engine's back (no new version): `first`, which wrote
    // the saga last, does not read it, and its version-checked write replaces it.
    await database.sql`update saga.instances set state = '{}'::jsonb where id = ${sagaId}`;
    const moved = await first.handleReply(sagaId, orderCreated(create.messageId));
    expect(moved.changed).toBe(true);
    expect(decisions).toEqual(['kept/written:1']);
    const after = await saga(sagaId);
    expect(after).toMatchObject({ version: 2, currentStep: 'reserveStock' });
    expect(after.state.awaiting).toMatchObject({ type: 'inventory.reserve' });
    // `second` keeps nothing of it and reads the row.
    const reserve = after.state.awaiting!;
    await database.sql`update saga.instances set state = '{}'::jsonb where id = ${sagaId}`;
    const [unreadable] = await second.handleReplies([
      { sagaId, reply: { ...orderCreated(reserve.messageId), type: 'inventory.reserve.reply' }, ref: 1 },
    ]);
    expect(unreadable && 'error' in unreadable && String(unreadable.error)).toMatch(
      /the stored state of a checkout saga is not a saga state/,
    );
    expect(await saga(sagaId)).toMatchObject({ version: 2 });
  });
});

describe('saga engine with a dispatcher (commands published after the commit)', () => {
  let database: MigratedTestDatabase;
  beforeEach(async () => {
    database = await createMigratedTestDatabase(4, 'engine-dispatch');
  });
  afterEach(async () => {
    await database.dispose();
  });

  it('deletes the commands the broker confirmed inside the next batch of replies, with no transaction of their own', async () => {
    const published: string[] = [];
    const topology = buildTopology({ prefix: `test-${randomUUID()}.` });
    // The broker is not the subject here: a publisher that confirms every message at once.
    const dispatcher = new OutboxDispatcher({
      db: database.db,
      publisher: {
        publish: async (message) => void published.push(message.properties.type),
      } as ConfirmPublisher,
      topology,
      logger: silentLogger,
      graceMs: 60_000,
      flushMs: 3_600_000, // never by timer in this test
    });
    const engine = new SagaEngine({
      db: database.db,
      sql: database.sql,
      dispatcher,
      topology,
      registry: sagaRegistry,
      stepTimeoutMs: 60_000,
      maxSends: 3,
    });
    const { items, ...body } = checkoutBody(`cust-${randomUUID()}`, 'ada@example.com');
    const sagaId = randomUUID();
    const started = await engine.start('checkout', {
      idempotencyKey: randomUUID(),
      requestHash: 'test',
      sagaId,
      data: {
        ...body,
        orderId: randomUUID(),
        items: items.map((line) => ({ ...line, unitPriceCents: 500 })),
        currency: 'EUR',
        totalCents: 1000,
      },
    });
    await engine.dispatch(started!);
    const inOutbox = async () =>
      (await database.db.select().from(outbox).where(eq(outbox.correlationId, sagaId))).map(
        (r) => r.messageType,
      );
    expect(published).toEqual(['order.create', 'inventory.reserve']);
    // Confirmed, waiting to be deleted.
    expect((await inOutbox()).sort()).toEqual(['inventory.reserve', 'order.create']);

    const result = { reservationId: randomUUID(), expiresAt: new Date().toISOString() };
    await engine.handleReplies(
      started!.map((command, ref) => ({
        sagaId,
        ref,
        reply: {
          type: `${command.messageType}.reply`,
          messageId: randomUUID(),
          causationId: command.messageId,
          body: { outcome: 'succeeded' as const, result: ref === 1 ? result : {} },
        },
      })),
    );

    expect(published).toEqual(['order.create', 'inventory.reserve', 'payment.charge']);
    // Nothing else deletes (no timer, no relay): the batch's transaction took the confirmed rows.
    expect(await inOutbox()).toEqual(['payment.charge']);
    const [charge] = await database.db.select().from(outbox).where(eq(outbox.correlationId, sagaId));
    expect(dispatcher.takeConfirmed().map(String)).toEqual([String(charge!.id)]);
  });
});
