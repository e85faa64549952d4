import { randomUUID } from 'node:crypto';
import { outbox, sagaEvents, sagaInstances } from '@sagaport/db';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@sagaport/db/testing';
import { buildTopology, PermanentError } from '@sagaport/rabbitmq';
import { asc, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { checkoutSaga } from './checkout-saga.js';
import { defineSaga } from './definition.js';
import { SagaEngine } from './engine.js';
import { SagaRegistry } from './registry.js';
import type { ReplyInput, SagaState } from './types.js';

/**
 * A saga that exists only in this test: it confirms an order, then reserves stock (with its own
 * deadline and send limit), undoing the reservation is its compensation. Registering it is the
 * only thing the test does to the engine.
 */
const restockSaga = defineSaga({
  name: 'test-restock',
  data: z.object({
    orderId: z.string(),
    sku: z.string(),
    ticket: z.string(),
    reservationId: z.string().optional(),
  }),
  keys: { orderId: (d) => d.orderId, ticket: (d) => d.ticket },
  steps: (step) => [
    step({
      name: 'confirmFirst',
      command: 'order.confirm',
      build: (d) => ({ orderId: d.orderId }),
      compensation: { command: 'order.cancel', build: (d) => ({ orderId: d.orderId, reason: 'test' }) },
    }),
    step({
      name: 'holdStock',
      command: 'inventory.reserve',
      build: (d) => ({ orderId: d.orderId, items: [{ sku: d.sku, quantity: 1 }] }),
      onSuccess: (d, r) => ({ ...d, reservationId: r.reservationId }),
      timeoutMs: 5 * 60_000,
      maxSends: 1,
    }),
  ],
});

describe('a saga definition registered by a test runs through the engine unchanged', () => {
  let database: MigratedTestDatabase;
  let engine: SagaEngine;
  const registry = new SagaRegistry().register(checkoutSaga).register(restockSaga);

  const newEngine = () =>
    new SagaEngine({
      db: database.db,
      sql: database.sql,
      topology: buildTopology({ prefix: `test-${randomUUID()}.` }),
      registry,
      stepTimeoutMs: 1_000,
      maxSends: 3,
    });

  beforeAll(async () => {
    database = await createMigratedTestDatabase(4, 'registry');
    engine = newEngine();
  });
  afterAll(async () => {
    await database.dispose();
  });

  async function saga(sagaId: string) {
    const [row] = await database.db.select().from(sagaInstances).where(eq(sagaInstances.id, sagaId));
    return { ...row!, state: row!.state as SagaState<z.infer<typeof restockSaga.data>> };
  }

  const succeeded = (state: SagaState, result: Record<string, unknown>): ReplyInput => ({
    type: `${state.awaiting!.type}.reply`,
    messageId: randomUUID(),
    causationId: state.awaiting!.messageId,
    body: { outcome: 'succeeded', result },
  });

  async function start(ticket = `T-${randomUUID()}`) {
    const sagaId = randomUUID();
    const data = { orderId: randomUUID(), sku: 'SKU-1', ticket };
    const rows = await engine.start('test-restock', {
      idempotencyKey: randomUUID(),
      requestHash: 'x',
      sagaId,
      data,
    });
    expect(rows).toBeDefined();
    return { sagaId, data };
  }

  it('starts it by its saga_type with its business keys, and runs its steps to completion', async () => {
    const { sagaId, data } = await start('Ticket-Mixed-Case');
    let row = await saga(sagaId);
    expect(row).toMatchObject({
      sagaType: 'test-restock',
      status: 'running',
      currentStep: 'confirmFirst',
      businessKeys: { orderId: data.orderId, ticket: 'Ticket-Mixed-Case' },
    });
    await engine.handleReply(sagaId, succeeded(row.state, {}));
    row = await saga(sagaId);
    expect(row.currentStep).toBe('holdStock');
    const reservationId = randomUUID();
    await engine.handleReply(
      sagaId,
      succeeded(row.state, { reservationId, expiresAt: new Date().toISOString() }),
    );
    row = await saga(sagaId);
    expect(row.status).toBe('completed');
    expect(row.state.data.reservationId).toBe(reservationId);
    const sent = await database.db
      .select({ type: outbox.messageType })
      .from(outbox)
      .where(eq(outbox.correlationId, sagaId))
      .orderBy(asc(outbox.id));
    expect(sent.map((s) => s.type)).toEqual(['order.confirm', 'inventory.reserve']);
    // Its business keys are searchable ignoring case, through the folded-keys index expression.
    const found = await database.sql`
      select id from saga.instances
      where (lower(business_keys::text)::jsonb) @> ${JSON.stringify({ ticket: 'ticket-mixed-case' })}::jsonb`;
    expect(found.map((r) => r.id as string)).toEqual([sagaId]);
  });

  it('applies a batch mixing it with a checkout saga, each by its own definition', async () => {
    const restock = await start();
    const checkoutId = randomUUID();
    await engine.start('checkout', {
      idempotencyKey: randomUUID(),
      requestHash: 'x',
      sagaId: checkoutId,
      data: {
        orderId: randomUUID(),
        customerId: 'c-1',
        email: 'ada@example.com',
        items: [{ sku: 'SKU-1', quantity: 1, unitPriceCents: 100 }],
        currency: 'EUR',
        totalCents: 100,
        paymentToken: 'tok_visa',
        shippingAddress: { name: 'Ada', line1: 'Main 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
      },
    });
    const checkoutState = (await saga(checkoutId)).state;
    const restockState = (await saga(restock.sagaId)).state;
    const results = await engine.handleReplies([
      { sagaId: checkoutId, reply: succeeded(checkoutState, { orderId: 'x' }), ref: 1 },
      { sagaId: restock.sagaId, reply: succeeded(restockState, {}), ref: 2 },
    ]);
    expect(results.every((r) => 'transition' in r)).toBe(true);
    expect((await saga(checkoutId)).currentStep).toBe('reserveStock');
    expect((await saga(restock.sagaId)).currentStep).toBe('holdStock');
  });

  it("uses a step's own deadline and send limit: one send, then compensation", async () => {
    const { sagaId } = await start();
    await engine.handleReply(sagaId, succeeded((await saga(sagaId)).state, {}));
    const before = Date.now();
    const row = await saga(sagaId);
    // The step's five minutes, not the engine's one second.
    expect(row.deadlineAt!.getTime()).toBeGreaterThan(before + 4 * 60_000);
    await database.sql`update saga.instances set deadline_at = now() - interval '1 second' where id = ${sagaId}`;
    await engine.handleTimeout(sagaId);
    const after = await saga(sagaId);
    // maxSends 1: no resend, the step is abandoned and the saga compensates (order.cancel).
    expect(after.status).toBe('compensating');
    expect(after.state.awaiting).toMatchObject({ type: 'order.cancel' });
    const kinds = await database.db
      .select({ kind: sagaEvents.kind })
      .from(sagaEvents)
      .where(eq(sagaEvents.sagaId, sagaId));
    expect(kinds.map((k) => k.kind)).not.toContain('command.resent');
  });

  it('dead-letters a reply whose saga has a type no definition is registered for, or unreadable data', async () => {
    const { sagaId } = await start();
    const state = (await saga(sagaId)).state;
    // The rows are damaged behind the engines' backs, without a new version: an orchestrator that
    // did not write the saga last (so keeps no state of it) reads them.
    const reader = newEngine();
    await database.sql`update saga.instances set saga_type = 'not-registered' where id = ${sagaId}`;
    const [unknown] = await reader.handleReplies([{ sagaId, reply: succeeded(state, {}), ref: 1 }]);
    expect('error' in unknown! && unknown.error).toBeInstanceOf(PermanentError);
    expect(String((unknown as { error: Error }).error.message)).toMatch(
      /no saga definition "not-registered"/,
    );

    await database.sql`update saga.instances set saga_type = 'test-restock',
      state = jsonb_set(state, '{data,sku}', '42') where id = ${sagaId}`;
    const [unreadable] = await reader.handleReplies([{ sagaId, reply: succeeded(state, {}), ref: 1 }]);
    expect((unreadable as { error: Error }).error.message).toMatch(/does not match its definition: sku/);
    const [{ version }] = (await database.db
      .select({ version: sql<number>`${sagaInstances.version}` })
      .from(sagaInstances)
      .where(eq(sagaInstances.id, sagaId))) as [{ version: number }];
    expect(version).toBe(1);
  });
});
