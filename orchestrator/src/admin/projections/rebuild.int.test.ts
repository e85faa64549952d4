// Integration tests of the rebuild route: a rebuild starts, shows its progress, one at a time, audited; viewers read only.
import { randomUUID } from 'node:crypto';
import { buildMessage, ConfirmPublisher, eventHeaders } from '@sagaport/rabbitmq';
import { eventually } from '@sagaport/rabbitmq/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSession, type TestSession } from '@sagaport/admin-api/testing';
import { startTestStack, testProjectionSettings, type TestStack } from '../../test-support/stack.js';

interface RebuildView {
  id: number;
  state: string;
  appliedEvents: number;
  streamOffset: number;
  targetOffset: number;
  progress: number;
  startedBy: string;
  error: string | null;
}
interface ProjectionView {
  name: string;
  lagEvents: number | null;
  rebuild: RebuildView | null;
}

describe('projection rebuild route (real stream, real PostgreSQL)', () => {
  let stack: TestStack;
  let operator: TestSession;
  let viewer: TestSession;
  let publisher: ConfirmPublisher;

  beforeAll(async () => {
    stack = await startTestStack({ projections: testProjectionSettings });
    operator = await createTestSession(stack.database.db, stack.orchestrator.app, 'operator');
    viewer = await createTestSession(stack.database.db, stack.orchestrator.app, 'viewer');
    publisher = new ConfirmPublisher(stack.broker.connection, { timeoutMs: 5_000 });
  });
  afterAll(async () => {
    await publisher?.close();
    await stack?.cleanup();
  });

  const charge = async (orderId: string, cents: number) => {
    await publisher.publish(
      buildMessage({
        exchange: stack.broker.topology.exchanges.events,
        routingKey: 'payment.charged',
        type: 'payment.charged',
        payload: { orderId, chargeId: randomUUID(), amount: { cents, currency: 'EUR' } },
        correlationId: randomUUID(),
        headers: eventHeaders('payment.charged', { aggregateId: orderId, sequence: 1 }),
      }),
    );
  };
  const status = async (): Promise<ProjectionView> => {
    const response = await viewer.request('/projections');
    expect(response.status).toBe(200);
    const { items } = (await response.json()) as { items: ProjectionView[] };
    return items.find((p) => p.name === 'order-history')!;
  };
  const rebuild = (session: TestSession) =>
    session.request('/projections/order-history/rebuild', { method: 'POST' });

  it('starts a rebuild (202), refuses a second while it runs (409), shows its progress to the end, audited once; a viewer gets 403', async () => {
    const orders = Array.from({ length: 120 }, () => randomUUID());
    for (const [i, orderId] of orders.entries()) await charge(orderId, 100 + i);
    expect(await eventually(async () => (await status()).lagEvents === 0, 20_000)).toBe(true);
    expect((await status()).rebuild).toBeNull();

    const refused = await rebuild(viewer);
    expect(refused.status).toBe(403);

    // Two at once: the claim lets one through.
    const answers = await Promise.all([rebuild(operator), rebuild(operator)]);
    expect(answers.map((a) => a.status).sort()).toEqual([202, 409]);
    const conflict = answers.find((a) => a.status === 409)!;
    expect(conflict.headers.get('content-type')).toContain('application/problem+json');
    const started = (await answers.find((a) => a.status === 202)!.json()) as RebuildView;
    expect(started).toMatchObject({ state: 'running', startedBy: operator.email, error: null });
    expect(started.targetOffset).toBeGreaterThanOrEqual(orders.length - 1);

    const seen: RebuildView[] = [];
    expect(
      await eventually(async () => {
        const latest = (await status()).rebuild;
        if (latest) seen.push(latest);
        return latest?.state === 'done';
      }, 30_000),
    ).toBe(true);
    const done = seen[seen.length - 1]!;
    expect(done).toMatchObject({ id: started.id, progress: 1, error: null });
    expect(done.appliedEvents).toBeGreaterThanOrEqual(orders.length);
    expect(seen.every((s) => s.id === started.id && s.progress >= 0 && s.progress <= 1)).toBe(true);

    // The swapped-in model has every order, and the live runner reads on after it.
    const [found] = await stack.database.sql<{ count: number }[]>`
      select count(*)::int as count from projections.order_history where order_id = any(${orders}::uuid[])`;
    expect(found!.count).toBe(orders.length);
    const later = randomUUID();
    await charge(later, 1);
    expect(
      await eventually(
        async () =>
          (await stack.database.sql`select 1 from projections.order_history where order_id = ${later}`)
            .length === 1,
        20_000,
      ),
    ).toBe(true);

    const audit = await stack.database.sql<
      { action: string; actor_email: string; detail: { rebuildId: number } }[]
    >`
      select action, actor_email, detail from admin.audit_log where action = 'projection.rebuild'`;
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject({ actor_email: operator.email, detail: { rebuildId: started.id } });
  });

  it('answers 404 problem naming the field for an unknown projection', async () => {
    const response = await operator.request('/projections/no-such/rebuild', { method: 'POST' });
    expect(response.status).toBe(404);
    const body = (await response.json()) as { errors: { field: string }[] };
    expect(body.errors[0]!.field).toBe('name');
  });
});
