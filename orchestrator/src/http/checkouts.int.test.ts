import { randomUUID } from 'node:crypto';
import { checkoutRequests, sagaEvents, sagaInstances } from '@sagaport/db';
import { and, count, eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestStack, type TestStack } from '../test-support/stack.js';

const validBody = {
  customerId: 'cust-42',
  email: 'ada@example.com',
  items: [{ sku: 'SKU-001', quantity: 2 }],
  paymentToken: 'tok_visa',
  shippingAddress: {
    name: 'Ada Lovelace',
    line1: 'Main 1',
    city: 'Berlin',
    postalCode: '10115',
    country: 'DE',
  },
};

describe('checkout API (real PostgreSQL and RabbitMQ, no workers)', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack();
  });
  afterAll(async () => {
    await stack.cleanup();
  });

  async function post(body: unknown, headers: Record<string, string> = {}): Promise<Response> {
    return stack.orchestrator.app.request('/checkouts', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': randomUUID(), ...headers },
      body: typeof body === 'string' ? body : JSON.stringify(body),
    });
  }

  async function expectProblem(response: Response, status: number, field?: string) {
    expect(response.status).toBe(status);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    const problem = (await response.json()) as {
      status: number;
      title: string;
      errors?: { field: string }[];
    };
    expect(problem.status).toBe(status);
    expect(problem.title).toBeTruthy();
    if (field) expect(problem.errors?.map((e) => e.field)).toContain(field);
    return problem;
  }

  it('accepts a checkout: 202, Location, the saga and its first command in the same commit', async () => {
    const response = await post(validBody);
    expect(response.status).toBe(202);
    const body = (await response.json()) as {
      sagaId: string;
      status: string;
      currentStep: string;
      totalCents: number;
    };
    expect(response.headers.get('location')).toBe(`/checkouts/${body.sagaId}`);
    expect(body).toMatchObject({ status: 'running', currentStep: 'createOrder', totalCents: 1000 });
    const { db } = stack.database;
    const [instance] = await db.select().from(sagaInstances).where(eq(sagaInstances.id, body.sagaId));
    expect(instance?.version).toBe(1);
    const events = await db.select().from(sagaEvents).where(eq(sagaEvents.sagaId, body.sagaId));
    // The order and the stock hold are one stage: both commands leave with the start.
    expect(events.map((e) => [e.kind, e.messageType])).toEqual([
      ['saga.started', null],
      ['command.sent', 'order.create'],
      ['command.sent', 'inventory.reserve'],
    ]);
    const get = await stack.orchestrator.app.request(`/checkouts/${body.sagaId}`);
    expect(get.status).toBe(200);
    expect(await get.json()).toMatchObject({ sagaId: body.sagaId, status: 'running' });
  });

  it('replays the same key and body as the same saga, and refuses the key with another body (409)', async () => {
    const key = randomUUID();
    const first = await post(validBody, { 'idempotency-key': key });
    const second = await post(validBody, { 'idempotency-key': key });
    const firstId = ((await first.json()) as { sagaId: string }).sagaId;
    expect(second.status).toBe(202);
    expect(second.headers.get('idempotent-replayed')).toBe('true');
    expect(((await second.json()) as { sagaId: string }).sagaId).toBe(firstId);
    const other = await post({ ...validBody, customerId: 'someone-else' }, { 'idempotency-key': key });
    const problem = await expectProblem(other, 409);
    expect(problem).toMatchObject({ sagaId: firstId });
    const sagas = await stack.database.db.select().from(sagaInstances).where(eq(sagaInstances.id, firstId));
    expect(sagas).toHaveLength(1);
  });

  it('starts exactly one saga for ten concurrent requests with one key', async () => {
    const key = randomUUID();
    // A customer of its own, so the sagas this test started can be told from the others'.
    const customerId = `cust-${randomUUID()}`;
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => post({ ...validBody, customerId }, { 'idempotency-key': key })),
    );
    const ids = new Set(
      await Promise.all(responses.map(async (r) => ((await r.json()) as { sagaId: string }).sagaId)),
    );
    expect(responses.map((r) => r.status)).toEqual(Array.from({ length: 10 }, () => 202));
    expect(ids.size).toBe(1);
    // The responses agreeing is not enough: a losing request must not have started a saga
    // (and sent an order.create) of its own before finding the winner's key.
    const { db } = stack.database;
    const sagas = await db
      .select({ id: sagaInstances.id, orderId: sql<string>`${sagaInstances.businessKeys} ->> 'orderId'` })
      .from(sagaInstances)
      .where(sql`${sagaInstances.businessKeys} ->> 'customerId' = ${customerId}`);
    expect(sagas).toEqual([{ id: [...ids][0], orderId: expect.any(String) as string }]);
    const orderCommands = await db
      .select({ detail: sagaEvents.detail })
      .from(sagaEvents)
      .innerJoin(sagaInstances, eq(sagaInstances.id, sagaEvents.sagaId))
      .where(
        and(
          sql`${sagaInstances.businessKeys} ->> 'customerId' = ${customerId}`,
          eq(sagaEvents.kind, 'command.sent'),
          eq(sagaEvents.messageType, 'order.create'),
        ),
      );
    expect(orderCommands.map((c) => (c.detail as { orderId: string }).orderId)).toEqual([sagas[0]!.orderId]);
  });

  it('answers every bad input with its status and a problem naming the field', async () => {
    const { db } = stack.database;
    const written = async () => ({
      sagas: (await db.select({ n: count() }).from(sagaInstances))[0]!.n,
      keys: (await db.select({ n: count() }).from(checkoutRequests))[0]!.n,
    });
    const before = await written();
    await expectProblem(await post('{"customerId": '), 400);
    await expectProblem(await post(validBody, { 'content-type': 'text/plain' }), 415);
    await expectProblem(await post({ ...validBody, customerId: 'x'.repeat(70_000) }), 413);
    const noKey = await stack.orchestrator.app.request('/checkouts', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(validBody),
    });
    await expectProblem(noKey, 428, 'Idempotency-Key');
    await expectProblem(
      await post({ ...validBody, items: [{ sku: 'SKU-001', quantity: 0 }] }),
      422,
      'items.0.quantity',
    );
    await expectProblem(
      await post({ ...validBody, items: [{ sku: 'SKU-001', quantity: -3 }] }),
      422,
      'items.0.quantity',
    );
    await expectProblem(
      await post({ ...validBody, items: [{ sku: 'SKU-404', quantity: 1 }] }),
      422,
      'items.0.sku',
    );
    const tooMany = Array.from({ length: 101 }, (_, i) => ({
      sku: `SKU-${String(i).padStart(3, '0')}`,
      quantity: 1,
    }));
    await expectProblem(await post({ ...validBody, items: tooMany }), 422, 'items');
    await expectProblem(await post({ ...validBody, email: 'not-an-email' }), 422, 'email');
    await expectProblem(
      await post({ ...validBody, shippingAddress: { ...validBody.shippingAddress, country: 'Germany' } }),
      422,
      'shippingAddress.country',
    );
    await expectProblem(await post({ ...validBody, surprise: true }), 422);
    await expectProblem(
      await post({
        ...validBody,
        items: [
          { sku: 'SKU-001', quantity: 1 },
          { sku: 'SKU-001', quantity: 2 },
        ],
      }),
      422,
      'items.1.sku',
    );
    // Nothing of the refused requests reached the database: no saga (so no event and no command
    // in the outbox either, both written with the saga) and no idempotency key.
    expect(await written()).toEqual(before);
  });

  it('answers 404 for an unknown or malformed checkout id', async () => {
    await expectProblem(await stack.orchestrator.app.request(`/checkouts/${randomUUID()}`), 404);
    await expectProblem(await stack.orchestrator.app.request('/checkouts/not-a-uuid'), 404, 'id');
  });

  it('records saga, relay and outbox metrics', async () => {
    const text = await stack.orchestrator.metrics.registry.metrics();
    expect(text).toMatch(
      /^sagaport_sagas_started_total\{saga="checkout",service="orchestrator"\} [1-9]\d*$/m,
    );
    expect(text).toMatch(/^sagaport_outbox_backlog\{service="orchestrator"\} \d+$/m);
    expect(text).toMatch(
      /^sagaport_messages_published_total\{outcome="confirmed",service="orchestrator"\} [1-9]\d*$/m,
    );
  });

  it('serves an OpenAPI 3.1 document generated from the schemas, and an offline docs page', async () => {
    const doc = (await (await stack.orchestrator.app.request('/openapi.json')).json()) as {
      openapi: string;
      components: {
        schemas: { CheckoutRequest: { properties: Record<string, unknown>; required: string[] } };
      };
    };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.schemas.CheckoutRequest.required).toEqual(
      expect.arrayContaining(['customerId', 'email', 'items', 'paymentToken', 'shippingAddress']),
    );
    const docs = await (await stack.orchestrator.app.request('/docs')).text();
    expect(docs).toContain('src="/docs/init.js"');
    expect(docs).not.toMatch(/https?:\/\//);
    const script = await (await stack.orchestrator.app.request('/docs/init.js')).text();
    expect(script).toContain('"url":"/openapi.json"');
    expect(script).not.toMatch(/https?:\/\//);
  });
});
