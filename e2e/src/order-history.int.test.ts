// The order-history read model end to end: 1,000 checkouts through the real processes, then the read model against the workers' tables.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkoutBody, postCheckout, type CheckoutBody } from './client.js';
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
    system = await System.create({ catalogue, env: { PROJECTION_LAG_SAMPLE_MS: '1000' } });
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

  it('after 1,000 checkouts, every order’s history equals what the workers’ tables say', async () => {
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
