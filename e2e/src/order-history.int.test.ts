// The read models end to end: 1,000 checkouts through the real processes, then order history and sales analytics against the workers' tables.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminLogin, operatorEnv } from './admin-client.js';
import { checkoutBody, postCancellation, postCheckout, type CheckoutBody } from './client.js';
import { waitForAllEnded } from './consistency.js';
import { System, type ManagedProcess } from './harness.js';

const catalogue = [
  { sku: 'SKU-001', priceCents: 1_250, available: 100_000 },
  { sku: 'SKU-002', priceCents: 400, available: 100_000 },
  { sku: 'SKU-003', priceCents: 999, available: 40 },
];

/** Checkout `i` of the run: mostly paid, some declined, some shipped where shipping refuses, some out of stock. */
function scenario(i: number): CheckoutBody {
  const body = checkoutBody({
    customerId: `cust-${i % 37}`,
    items: [
      { sku: 'SKU-001', quantity: 1 + (i % 3) },
      ...(i % 4 === 0 ? [{ sku: 'SKU-002', quantity: 2 }] : []),
      ...(i % 9 === 0 ? [{ sku: 'SKU-003', quantity: 3 }] : []),
    ],
  });
  if (i % 10 === 3) body.paymentToken = 'tok_declined';
  if (i % 10 === 7) body.shippingAddress = { ...body.shippingAddress, country: 'US' };
  return body;
}

interface SkuTotals {
  sku: string;
  units: number;
  revenue: number;
  cancelled: number;
  units_cancelled: number;
  revenue_cancelled: number;
  declines: number;
}

interface Truth {
  order_id: string;
  saga_id: string;
  customer_id: string;
  status: string;
  total_cents: number;
  currency: string;
  items: { sku: string; quantity: number; unitPriceCents: number }[];
  hold: string | null;
  charged: number | null;
  refunded: number | null;
  shipment: string | null;
}

describe('order history read model (real processes, RabbitMQ stream and PostgreSQL)', () => {
  let system: System;
  let api: ManagedProcess;
  beforeAll(async () => {
    system = await System.create({ catalogue, env: { PROJECTION_LAG_SAMPLE_MS: '1000', ...operatorEnv } });
    api = await system.startOrchestrator();
    await system.startWorkers();
  }, 120_000);
  afterAll(async () => {
    await system?.stop();
  });

  /** What the workers' own tables say about every order. */
  const truth = () =>
    system.database.sql<Truth[]>`
      select o.id as order_id, o.saga_id, o.customer_id, o.status, o.total_cents, o.currency, o.items,
        r.status as hold, c.amount_cents as charged, f.amount_cents as refunded, s.status as shipment
      from orders.orders o
      left join inventory.reservations r on r.order_id = o.id
      left join payments.charges c on c.saga_id = o.saga_id
      left join payments.refunds f on f.saga_id = o.saga_id
      left join shipping.shipments s on s.saga_id = o.saga_id
      order by o.id`;
  /** The same, as the read model tells it. */
  const projected = () =>
    system.database.sql<Truth[]>`
      select order_id, saga_id, customer_id, status, total_cents::int as total_cents, currency, lines as items,
        case stock_status when 'expired' then 'released' else stock_status end as hold,
        charged_cents::int as charged, refunded_cents::int as refunded, shipment_status as shipment
      from projections.order_history order by order_id`;
  const parse = (rows: Truth[]) =>
    rows.map((r) => ({
      ...r,
      items: typeof r.items === 'string' ? (JSON.parse(r.items) as Truth['items']) : r.items,
    }));

  /** Per SKU: what the sales analytics booked, over every minute. */
  const analytics = () =>
    system.database.sql<SkuTotals[]>`
      select sku, sum(units_sold)::int as units, sum(revenue_cents)::int as revenue,
        sum(orders_cancelled)::int as cancelled, sum(units_cancelled)::int as units_cancelled,
        sum(revenue_cancelled_cents)::int as revenue_cancelled, sum(card_declines)::int as declines
      from projections.sales_by_minute group by sku order by sku`;
  /**
   * The same from the workers' tables: units and revenue of every order whose stock was committed
   * (confirmed, cancelled later or not), the orders whose committed stock a cancellation returned,
   * and the orders whose card the provider refused.
   */
  const salesTruth = () =>
    system.database.sql<SkuTotals[]>`
      with lines as (
        select o.id, o.saga_id, x.sku, x.quantity, x.quantity * x."unitPriceCents" as cents
        from orders.orders o, jsonb_to_recordset(o.items) as x(sku text, quantity int, "unitPriceCents" int)),
      held as (select order_id, status from inventory.reservations),
      declined as (select distinct idempotency_key from payments.provider_calls where operation = 'charge' and status in (400, 402))
      select l.sku,
        coalesce(sum(l.quantity) filter (where h.status in ('committed', 'returned')), 0)::int as units,
        coalesce(sum(l.cents) filter (where h.status in ('committed', 'returned')), 0)::int as revenue,
        count(*) filter (where h.status = 'returned')::int as cancelled,
        coalesce(sum(l.quantity) filter (where h.status = 'returned'), 0)::int as units_cancelled,
        coalesce(sum(l.cents) filter (where h.status = 'returned'), 0)::int as revenue_cancelled,
        count(*) filter (where d.idempotency_key is not null)::int as declines
      from lines l
        left join held h on h.order_id = l.id
        left join declined d on d.idempotency_key = l.saga_id::text
      group by l.sku
      having count(*) filter (where h.status in ('committed', 'returned') or d.idempotency_key is not null) > 0
      order by l.sku`;
  const settle = async <T>(have: () => Promise<T>, want: () => Promise<T>) => {
    const deadline = Date.now() + 120_000;
    let [a, b] = [await have(), await want()];
    while (JSON.stringify(a) !== JSON.stringify(b) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      [a, b] = [await have(), await want()];
    }
    return [a, b] as const;
  };

  /** The sales analytics as the workers' tables tell it: sold, declined, then cancelled after the sale. */
  const expectSalesAsWorkersTell = async () => {
    const [confirmed] = await system.database.sql<{ n: number }[]>`
      select count(*)::int as n from orders.orders where status = 'confirmed'`;
    expect(confirmed!.n).toBeGreaterThan(100);
    let [have, want] = await settle(analytics, salesTruth);
    if (JSON.stringify(have) !== JSON.stringify(want)) {
      console.log(
        await system.database
          .sql`select name, stream_offset, applied_events, state, last_error from projections.checkpoints`,
        await system.database
          .sql`select projection, stream_offset, error from projections.parked_events limit 5`,
        api.output.filter((line) => line.includes('projection')).slice(-10),
      );
    }
    expect(have).toEqual(want);
    expect(want.every((s) => s.cancelled === 0)).toBe(true);
    expect(want.reduce((n, s) => n + s.declines, 0)).toBeGreaterThan(0);
    // Against the completed orders alone (no cancellation yet): units and revenue per SKU.
    const completed = await system.database.sql<{ sku: string; units: number; revenue: number }[]>`
      select x.sku, sum(x.quantity)::int as units, sum(x.quantity * x."unitPriceCents")::int as revenue
      from orders.orders o, jsonb_to_recordset(o.items) as x(sku text, quantity int, "unitPriceCents" int)
      where o.status = 'confirmed' group by x.sku order by x.sku`;
    expect(have.map(({ sku, units, revenue }) => ({ sku, units, revenue }))).toEqual(completed);

    // The admin API reports the same totals over the last hour.
    const admin = await adminLogin(api.port);
    type Report = {
      minutes: { unitsSold: number; cardDeclines: number }[];
      topSkus: { sku: string; unitsSold: number }[];
    };
    const report = await admin.get<Report>('/analytics/sales?minutes=60&top=100');
    expect(report.minutes.reduce((n, m) => n + m.unitsSold, 0)).toBe(want.reduce((n, s) => n + s.units, 0));
    expect(report.minutes.reduce((n, m) => n + m.cardDeclines, 0)).toBe(
      want.reduce((n, s) => n + s.declines, 0),
    );
    expect(report.topSkus[0]?.sku).toBe('SKU-001');

    // Cancel a few confirmed orders: their sale stays, their cancellation is booked apart.
    const toCancel = await system.database.sql<{ id: string }[]>`
      select id from orders.orders where status = 'confirmed' order by id limit 8`;
    for (const { id } of toCancel) {
      const answer = await postCancellation(api.port, id, { reason: 'changed my mind', waitSeconds: 20 });
      expect(answer.body.status).toBe('completed');
    }
    [have, want] = await settle(analytics, salesTruth);
    expect(have).toEqual(want);
    expect(want.reduce((n, s) => n + s.cancelled, 0)).toBeGreaterThanOrEqual(toCancel.length);
  };

  it('after 1,000 checkouts, every order’s history and the sales analytics equal what the workers’ tables say', async () => {
    const total = 1_000;
    let next = 0;
    const answers: string[] = [];
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < total) {
          const i = next++;
          const answer = await postCheckout(api.port, scenario(i), { waitSeconds: 30 });
          answers.push(answer.status);
        }
      }),
    );
    expect(answers).toHaveLength(total);
    expect(await waitForAllEnded(system.database, 120_000)).toBe(0);
    const outcomes = new Set(answers);
    expect(outcomes.has('completed') && outcomes.has('compensated')).toBe(true);

    // The read model follows the stream: wait until it has every order as the workers have it.
    const deadline = Date.now() + 120_000;
    let want = parse(await truth());
    let have = parse(await projected());
    while (JSON.stringify(have) !== JSON.stringify(want) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 500));
      want = parse(await truth());
      have = parse(await projected());
    }
    expect(want).toHaveLength(total);
    expect(have).toEqual(want);

    // Every order carries each event once; a completed one its six, in order of time.
    const [completed] = await system.database.sql<{ order_id: string }[]>`
      select o.id as order_id from orders.orders o where o.status = 'confirmed' limit 1`;
    const order = (await (
      await fetch(`http://127.0.0.1:${api.port}/orders/${completed!.order_id}`)
    ).json()) as {
      status: string;
      events: { type: string; version: number }[];
    };
    expect(order.status).toBe('confirmed');
    expect(order.events.map((e) => e.type).sort()).toEqual(
      [
        'order.confirmed',
        'order.placed',
        'payment.charged',
        'shipment.scheduled',
        'stock.committed',
        'stock.reserved',
      ].sort(),
    );
    expect(order.events.find((e) => e.type === 'payment.charged')?.version).toBe(2);

    // A customer's orders, page by page with the cursor: each once, newest first.
    const [customer] = await system.database.sql<{ customer_id: string; n: number }[]>`
      select customer_id, count(*)::int as n from orders.orders group by customer_id order by customer_id limit 1`;
    const seen: string[] = [];
    let cursor: string | null = null;
    let lastPlacedAt = Infinity;
    do {
      const query: string = `customerId=${customer!.customer_id}&limit=7${cursor ? `&cursor=${cursor}` : ''}`;
      const page = (await (await fetch(`http://127.0.0.1:${api.port}/orders?${query}`)).json()) as {
        items: { orderId: string; placedAt: string }[];
        next: string | null;
      };
      for (const item of page.items) {
        expect(Date.parse(item.placedAt)).toBeLessThanOrEqual(lastPlacedAt);
        lastPlacedAt = Date.parse(item.placedAt);
        seen.push(item.orderId);
      }
      cursor = page.next;
    } while (cursor);
    expect(new Set(seen).size).toBe(customer!.n);
    expect(seen).toHaveLength(customer!.n);

    // The lag reads 0 on the orchestrator's metrics once it has caught up (sampled every second here).
    const lagOf = async () => {
      const text = await (await fetch(`http://127.0.0.1:${api.metricsPort}/metrics`)).text();
      const match = /sagaport_projection_lag_events\{projection="order-history"[^}]*\} (\d+)/.exec(text);
      return match ? Number(match[1]) : null;
    };
    const lagDeadline = Date.now() + 20_000;
    while ((await lagOf()) !== 0 && Date.now() < lagDeadline) await new Promise((r) => setTimeout(r, 250));
    expect(await lagOf()).toBe(0);

    await expectSalesAsWorkersTell();
  }, 600_000);

  it('answers problem+json naming the field for a bad order id, a missing customer or a forged cursor', async () => {
    const get = async (path: string) => {
      const response = await fetch(`http://127.0.0.1:${api.port}${path}`);
      return {
        status: response.status,
        type: response.headers.get('content-type'),
        body: (await response.json()) as { errors?: { field: string }[] },
      };
    };
    const badId = await get('/orders/not-a-uuid');
    expect(badId).toMatchObject({ status: 404, type: 'application/problem+json' });
    expect(badId.body.errors?.[0]?.field).toBe('orderId');
    const missing = await get('/orders');
    expect(missing).toMatchObject({ status: 400, type: 'application/problem+json' });
    expect(missing.body.errors?.[0]?.field).toBe('customerId');
    const forged = await get('/orders?customerId=cust-1&cursor=bm9wZQ');
    expect(forged.body.errors?.[0]?.field).toBe('cursor');
    expect((await get('/orders/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});
