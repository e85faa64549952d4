// Rebuilding the order history while checkouts run: readers never fail, the swapped-in model equals a replay from scratch.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutBody, postCheckout } from './client.js';
import { waitForAllEnded } from './consistency.js';
import { System, type ManagedProcess } from './harness.js';
import { waitForQuiescence } from './quiescence.js';

const catalogue = [
  { sku: 'SKU-001', priceCents: 1_250, available: 100_000 },
  { sku: 'SKU-002', priceCents: 400, available: 100_000 },
];
const customers = 12;

interface Summary {
  state: string;
  applied_events: number;
  stream_offset: number;
  target_offset: number;
}

describe('order history rebuild under load (real processes, RabbitMQ stream and PostgreSQL)', () => {
  let system: System;
  let api: ManagedProcess;
  beforeAll(async () => {
    system = await System.create({ catalogue, env: { PROJECTION_LAG_SAMPLE_MS: '1000' } });
    api = await system.startOrchestrator();
    await system.startWorkers();
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
  });

  const checkouts = async (from: number, to: number) => {
    let next = from;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < to) {
          const i = next++;
          const body = checkoutBody({
            customerId: `cust-${i % customers}`,
            items: [
              { sku: 'SKU-001', quantity: 1 + (i % 3) },
              ...(i % 4 === 0 ? [{ sku: 'SKU-002', quantity: 2 }] : []),
            ],
          });
          if (i % 10 === 3) body.paymentToken = 'tok_declined';
          await postCheckout(api.port, body, { waitSeconds: 30 });
        }
      }),
    );
  };
  /** The read model, whole: every order's row and every event it recorded. */
  const model = async () => ({
    orders: await system.database.sql`select * from projections.order_history order by order_id`,
    events: await system.database.sql`
      select order_id, aggregate_type, sequence, event_id, event_type, written_version, occurred_at, stream_offset, payload
      from projections.order_history_events order by order_id, aggregate_type, sequence`,
  });
  /** Waits until the read model has every order the order worker has, with its final status. */
  const caughtUp = async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      const [row] = await system.database.sql<{ behind: number }[]>`
        select count(*)::int as behind from orders.orders o
        left join projections.order_history h on h.order_id = o.id
        where h.order_id is null or h.status <> o.status`;
      if (row!.behind === 0 || Date.now() > deadline) return row!.behind;
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
  };

  /** Waits until the projection's checkpoint has not moved for two seconds (its linger is far shorter). */
  const projectionSettled = async (name: string) => {
    const deadline = Date.now() + 60_000;
    let last = '';
    for (;;) {
      const [row] = await system.database.sql<{ stream_offset: string }[]>`
        select stream_offset::text from projections.checkpoints where name = ${name}`;
      const offset = row?.stream_offset ?? '';
      if (offset === last || Date.now() > deadline) return;
      last = offset;
      await new Promise((resolve) => setTimeout(resolve, 2_000));
    }
  };

  it('rebuilds while ~150 checkouts run: every read answers, the model equals a replay from scratch', async () => {
    await checkouts(0, 75);
    expect(await waitForAllEnded(system.database, 60_000)).toBe(0);
    expect(await caughtUp()).toBe(0);
    const known = (await system.database.sql<{ id: string }[]>`select id from orders.orders order by id`).map(
      (r) => r.id,
    );

    // A reader polls one order and a customer's list throughout; an order once there must stay there.
    let reading = true;
    let reads = 0;
    const failures: string[] = [];
    const reader = (async () => {
      for (let i = 0; reading; i += 1) {
        const orderId = known[i % known.length]!;
        for (const path of [`/orders/${orderId}`, `/orders?customerId=cust-${i % customers}&limit=5`]) {
          try {
            const response = await fetch(`http://127.0.0.1:${api.port}${path}`);
            const body = (await response.json()) as { orderId?: string; items?: unknown[] };
            if (response.status !== 200) failures.push(`${path}: ${response.status}`);
            else if (path.startsWith('/orders/') ? body.orderId !== orderId : body.items?.length === 0)
              failures.push(`${path}: missing from the read model`);
            reads += 1;
          } catch (error) {
            failures.push(`${path}: ${(error as Error).message}`);
          }
        }
      }
    })();

    const progress: string[] = [];
    const [run] = await Promise.all([
      system.runProjectionsCli(['rebuild', 'order-history'], (line) => progress.push(line)),
      checkouts(75, 150),
    ]);
    expect(await waitForAllEnded(system.database, 60_000)).toBe(0);
    expect(await caughtUp()).toBe(0);
    reading = false;
    await reader;
    expect(failures).toEqual([]);
    expect(reads).toBeGreaterThan(20);

    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const summary = JSON.parse(run.stdout.filter(Boolean).at(-1)!) as Summary;
    expect(summary.state).toBe('done');
    expect(summary.stream_offset).toBeGreaterThanOrEqual(summary.target_offset);
    expect(progress.some((line) => /order-history: running, \d+ events applied/.test(line))).toBe(true);

    // A second rebuild on the quiet system is a replay from scratch: the model must not change.
    // Quiet means every message handled (the last events, `stock.committed` among them, follow an
    // order's confirmation) and the live projection no longer moving.
    await waitForQuiescence(system);
    await projectionSettled('order-history');
    const rebuilt = await model();
    expect(rebuilt.orders).toHaveLength(150);
    const replay = await system.runProjectionsCli(['rebuild', 'order-history']);
    expect(replay.code).toBe(0);
    expect(await model()).toEqual(rebuilt);
  });

  it('rebuilds the sales analytics from scratch into the same figures the live projection built', async () => {
    const sales = async () => ({
      minutes: await system.database
        .sql`select * from projections.sales_by_minute order by minute, sku, currency`,
      orders: await system.database.sql`select * from projections.sales_orders order by order_id`,
    });
    const deadline = Date.now() + 60_000;
    const confirmed = async () =>
      (
        await system.database.sql<{ n: number }[]>`
        select count(*)::int as n from projections.sales_orders where confirmed_at is not null`
      )[0]!.n;
    const [counted] = await system.database.sql<{ completed: number }[]>`
      select count(*)::int as completed from orders.orders where status = 'confirmed'`;
    const completed = counted!.completed;
    while ((await confirmed()) < completed && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 300));
    await waitForQuiescence(system);
    await projectionSettled('sales-analytics');
    const live = await sales();
    expect(live.minutes.length).toBeGreaterThan(0);
    expect(live.orders).toHaveLength(150);

    const run = await system.runProjectionsCli(['rebuild', 'sales-analytics']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect((JSON.parse(run.stdout.filter(Boolean).at(-1)!) as Summary).state).toBe('done');
    expect(await sales()).toEqual(live);
  });

  it('the CLI refuses an unknown projection by name', async () => {
    const run = await system.runProjectionsCli(['rebuild', 'no-such']);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('unknown projection "no-such"');
  });
});
