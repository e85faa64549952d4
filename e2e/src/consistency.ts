// Checks the system's books after a run: sagas ended, stock conserved, money conserved, nothing doubled.
import type { DatabaseHandle } from '@sagaport/db';

export interface ConsistencyReport {
  readonly sagas: number;
  readonly running: number;
  readonly completed: number;
  readonly compensated: number;
  readonly failed: number;
  /** Per sku: initial stock = available + held + committed, and nothing negative. */
  readonly stockConserved: boolean;
  /** Charges minus refunds equal the totals of completed orders. */
  readonly moneyConserved: boolean;
  /** Every completed saga has exactly one confirmed order, charge and shipment; none charged twice. */
  readonly effectsMatch: boolean;
  readonly problems: readonly string[];
}

/** Reads every table and reports whether the run left the books straight. */
export async function checkConsistency(
  database: DatabaseHandle,
  initialStock: ReadonlyMap<string, number>,
): Promise<ConsistencyReport> {
  const { sql } = database;
  const problems: string[] = [];
  const statuses = await sql<{ status: string; count: number }[]>`
    select status, count(*)::int as count from saga.instances group by status`;
  const count = (status: string) => statuses.find((s) => s.status === status)?.count ?? 0;
  const sagas = statuses.reduce((sum, s) => sum + s.count, 0);
  const running = count('running') + count('compensating');
  if (running > 0) problems.push(`${running} sagas have not ended`);

  const stock = await sql<{ sku: string; available: number; held: number; committed: number }[]>`
    select p.sku, p.available,
      coalesce(sum((l->>'quantity')::int) filter (where r.status = 'held'), 0)::int as held,
      coalesce(sum((l->>'quantity')::int) filter (where r.status = 'committed'), 0)::int as committed
    from inventory.products p
    left join inventory.reservations r on true
    left join lateral jsonb_array_elements(r.lines) l on l->>'sku' = p.sku
    group by p.sku, p.available`;
  let stockConserved = true;
  for (const row of stock) {
    const initial = initialStock.get(row.sku);
    if (initial === undefined) continue;
    if (row.available < 0 || row.available + row.held + row.committed !== initial) {
      stockConserved = false;
      problems.push(
        `${row.sku}: ${row.available} available + ${row.held} held + ${row.committed} committed ≠ ${initial}`,
      );
    }
  }

  const [money] = await sql<{ charged: number; refunded: number; completedTotals: number }[]>`
    select
      (select coalesce(sum(amount_cents), 0) from payments.charges)::bigint::float8 as charged,
      (select coalesce(sum(amount_cents), 0) from payments.refunds)::bigint::float8 as refunded,
      (select coalesce(sum(o.total_cents), 0) from orders.orders o
         join saga.instances s on s.order_id = o.id where s.status = 'completed')::bigint::float8 as "completedTotals"`;
  const moneyConserved = money!.charged - money!.refunded === money!.completedTotals;
  if (!moneyConserved)
    problems.push(
      `charged ${money!.charged} - refunded ${money!.refunded} ≠ completed ${money!.completedTotals}`,
    );

  const [effects] = await sql<{ mismatched: number; doubleCharged: number }[]>`
    select
      (select count(*) from saga.instances s
         where s.status = 'completed' and (
           (select count(*) from orders.orders o where o.id = s.order_id and o.status = 'confirmed') <> 1 or
           (select count(*) from payments.charges c where c.saga_id = s.id) <> 1 or
           (select count(*) from shipping.shipments sh where sh.saga_id = s.id and sh.status = 'scheduled') <> 1))::int as mismatched,
      (select count(*) from (select saga_id from payments.charges group by saga_id having count(*) > 1) d)::int as "doubleCharged"`;
  const effectsMatch = effects!.mismatched === 0 && effects!.doubleCharged === 0;
  if (!effectsMatch)
    problems.push(
      `${effects!.mismatched} completed sagas lack their effects; ${effects!.doubleCharged} charged twice`,
    );

  return {
    sagas,
    running,
    completed: count('completed'),
    compensated: count('compensated'),
    failed: count('failed'),
    stockConserved,
    moneyConserved,
    effectsMatch,
    problems,
  };
}

/** Polls until no saga is running (or `timeoutMs` passes); returns the last count still running. */
export async function waitForAllEnded(database: DatabaseHandle, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const [row] = await database.sql<{ running: number }[]>`
      select count(*)::int as running from saga.instances where status in ('running', 'compensating')`;
    if (row!.running === 0 || Date.now() > deadline) return row!.running;
    await new Promise((r) => setTimeout(r, 250));
  }
}
