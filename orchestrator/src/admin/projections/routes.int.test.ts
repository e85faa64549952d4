// Integration tests of the projection routes: status with lag, pause/resume, parked events replayed and skipped, audited; viewers read only.
import { randomUUID } from 'node:crypto';
import { buildMessage, ConfirmPublisher, eventHeaders, EventHeader } from '@sagaport/rabbitmq';
import { eventually } from '@sagaport/rabbitmq/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSession, type TestSession } from '@sagaport/admin-api/testing';
import { startTestStack, testProjectionSettings, type TestStack } from '../../test-support/stack.js';

interface ProjectionView {
  name: string;
  state: string;
  offset: number;
  streamEnd: number | null;
  lagEvents: number | null;
  openParked: number;
  lastError: string | null;
}
interface ParkedView {
  id: number;
  type: string;
  error: string;
  resolution: string | null;
  resolvedBy: string | null;
}

describe('projection routes (real stream, real PostgreSQL)', () => {
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

  const publish = async (type: string, payload: Record<string, unknown>, version?: number) => {
    const orderId = (payload.orderId as string | undefined) ?? randomUUID();
    const headers = eventHeaders('payment.charged', { aggregateId: orderId, sequence: 1 });
    if (version) headers[EventHeader.version] = version;
    await publisher.publish(
      buildMessage({
        exchange: stack.broker.topology.exchanges.events,
        routingKey: type,
        type,
        payload,
        correlationId: randomUUID(),
        headers,
      }),
    );
  };
  const status = async (session = viewer): Promise<ProjectionView> => {
    const response = await session.request('/projections');
    expect(response.status).toBe(200);
    const { items } = (await response.json()) as { items: ProjectionView[] };
    return items.find((p) => p.name === 'order-history')!;
  };
  const caughtUp = () => eventually(async () => (await status()).lagEvents === 0, 20_000);

  it('shows offset and lag; a paused projection falls behind by exactly what was published, and drains once resumed', async () => {
    const orderId = randomUUID();
    await publish('payment.charged', {
      orderId,
      chargeId: randomUUID(),
      amount: { cents: 100, currency: 'EUR' },
    });
    expect(await caughtUp()).toBe(true);

    expect((await viewer.request('/projections/order-history/pause', { method: 'POST' })).status).toBe(403);
    expect((await operator.request('/projections/order-history/pause', { method: 'POST' })).status).toBe(200);
    // The runner stops at its next lease renewal; what it applied before is not lag.
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const before = await status();
    for (let i = 0; i < 5; i += 1) {
      await publish('payment.charged', {
        orderId: randomUUID(),
        chargeId: randomUUID(),
        amount: { cents: 1, currency: 'EUR' },
      });
    }
    const paused = await status();
    expect(paused.state).toBe('paused');
    expect(paused.lagEvents).toBe((before.lagEvents ?? 0) + 5);

    expect((await operator.request('/projections/order-history/resume', { method: 'POST' })).status).toBe(
      200,
    );
    expect(await caughtUp()).toBe(true);
    const audit = await stack.database.sql<{ action: string; actor_email: string }[]>`
      select action, actor_email from admin.audit_log where target_type = 'projection' order by id`;
    expect(audit.map((a) => a.action)).toEqual(['projection.pause', 'projection.resume']);
  });

  it('lists a parked event with its reason; skip closes it, replay applies it once it can be read', async () => {
    const broken = randomUUID();
    await publish('payment.charged', { orderId: broken, chargeId: randomUUID(), amount: 'lots' });
    expect(await eventually(async () => (await status()).openParked === 1, 20_000)).toBe(true);
    const list = async () =>
      ((await (await viewer.request('/projections/order-history/parked')).json()) as { items: ParkedView[] })
        .items;
    const [parked] = await list();
    expect(parked).toMatchObject({ type: 'payment.charged', resolution: null });
    expect(parked!.error).toContain('payload.amount');

    // Still unreadable: a replay is refused and it stays open.
    const refused = await operator.request(`/projections/order-history/parked/${parked!.id}/replay`, {
      method: 'POST',
    });
    expect(refused.status).toBe(422);
    expect(await list()).toHaveLength(1);
    expect(
      (await viewer.request(`/projections/order-history/parked/${parked!.id}/skip`, { method: 'POST' }))
        .status,
    ).toBe(403);
    const skipped = await operator.request(`/projections/order-history/parked/${parked!.id}/skip`, {
      method: 'POST',
    });
    expect(skipped.status).toBe(200);
    expect(await skipped.json()).toMatchObject({ resolution: 'skipped', resolvedBy: operator.email });
    expect(await list()).toEqual([]);
    expect(
      (await operator.request(`/projections/order-history/parked/${parked!.id}/skip`, { method: 'POST' }))
        .status,
    ).toBe(409);

    // A parked event that reads now (here: its row mended by hand) is applied by its replay.
    const mendable = randomUUID();
    await publish(
      'payment.charged',
      { orderId: mendable, chargeId: randomUUID(), amountCents: 700, currency: 'EUR' },
      3,
    );
    expect(await eventually(async () => (await list()).length === 1, 20_000)).toBe(true);
    const [second] = await list();
    expect(second!.error).toContain('newer than');
    await stack.database.sql`
      update projections.parked_events set headers = jsonb_set(headers, '{x-event-version}', '1') where id = ${second!.id}`;
    const replayed = await operator.request(`/projections/order-history/parked/${second!.id}/replay`, {
      method: 'POST',
    });
    expect(replayed.status).toBe(200);
    const [row] = await stack.database.sql<{ charged_cents: string; payment_status: string }[]>`
      select charged_cents, payment_status from projections.order_history where order_id = ${mendable}`;
    expect(row).toEqual({ charged_cents: '700', payment_status: 'charged' });
    const audit = await stack.database.sql<{ action: string }[]>`
      select action from admin.audit_log where action like 'projection.parked.%' order by id`;
    expect(audit.map((a) => a.action)).toEqual(['projection.parked.skip', 'projection.parked.replay']);
  });
});
