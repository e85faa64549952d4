// Checks the system's books after a run has settled: sagas ended, stock conserved and released,
// money conserved at the provider, and every saga's effects matching its outcome.
import type { DatabaseHandle } from '@sagaport/db';
import type { System } from './harness.js';
import { waitForQuiescence } from './quiescence.js';

export interface ConsistencyReport {
  readonly sagas: number;
  readonly running: number;
  readonly completed: number;
  readonly compensated: number;
  readonly failed: number;
  /** Sagas a step refused outright (an order cancellation after the parcel shipped): nothing changed. */
  readonly rejected: number;
  /** Compensated sagas by the code of the failure that started the compensation. */
  readonly compensationReasons: Readonly<Record<string, number>>;
  /** Per sku: initial stock = available + held + committed, nothing negative, and no hold left held. */
  readonly stockConserved: boolean;
  /**
   * Money the provider moved (its own record, `payments.provider_calls`) matches the books:
   * every charge it accepted is the one charge the books hold for its saga, and charges minus
   * refunds, at the provider and in the books, equal the totals of completed orders.
   */
  readonly moneyConserved: boolean;
  /** Every ended saga left exactly the effects its outcome calls for (see `sagaProblems`). */
  readonly effectsMatch: boolean;
  readonly problems: readonly string[];
}

/**
 * Reads every table and reports whether the run left the books straight. Call it once the run
 * has settled (every saga ended, `waitForQuiescence`): a confirmed order commits its hold only
 * when the inventory has consumed `order.confirmed`, after the saga completed.
 */
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
  const reasons = await sql<{ code: string; count: number }[]>`
    select coalesce(failure_reason->>'code', '(none)') as code, count(*)::int as count
    from saga.instances where status = 'compensated' group by 1 order by 1`;
  const compensationReasons = Object.fromEntries(reasons.map((r) => [r.code, r.count]));

  const stockConserved = await checkStock(database, initialStock, problems);
  const moneyConserved = await checkMoney(database, problems);
  const sagaProblemCount = problems.length;
  problems.push(...(await sagaProblems(database)));
  const effectsMatch = problems.length === sagaProblemCount;

  return {
    sagas,
    running,
    completed: count('completed'),
    compensated: count('compensated'),
    failed: count('failed'),
    rejected: count('rejected'),
    compensationReasons,
    stockConserved,
    moneyConserved,
    effectsMatch,
    problems,
  };
}

async function checkStock(
  database: DatabaseHandle,
  initialStock: ReadonlyMap<string, number>,
  problems: string[],
): Promise<boolean> {
  const { sql } = database;
  const before = problems.length;
  const stock = await sql<{ sku: string; available: number; held: number; committed: number }[]>`
    select p.sku, p.available,
      coalesce(sum((l->>'quantity')::int) filter (where r.status = 'held'), 0)::int as held,
      coalesce(sum((l->>'quantity')::int) filter (where r.status = 'committed'), 0)::int as committed
    from inventory.products p
    left join inventory.reservations r on true
    left join lateral jsonb_array_elements(r.lines) l on l->>'sku' = p.sku
    group by p.sku, p.available`;
  for (const row of stock) {
    const initial = initialStock.get(row.sku);
    if (initial === undefined) continue;
    if (row.available < 0 || row.available + row.held + row.committed !== initial) {
      problems.push(
        `${row.sku}: ${row.available} available + ${row.held} held + ${row.committed} committed ≠ ${initial}`,
      );
    }
  }
  // Every saga has ended and settled: a hold still held is stock nobody will ever sell or give back.
  const held = await sql<{ saga_id: string }[]>`
    select saga_id from inventory.reservations where status = 'held' order by created_at`;
  if (held.length > 0) problems.push(`${held.length} holds left held (sagas ${examples(held)})`);
  return problems.length === before;
}

async function checkMoney(database: DatabaseHandle, problems: string[]): Promise<boolean> {
  const { sql } = database;
  const before = problems.length;
  const [money] = await sql<
    {
      charged: number;
      refunded: number;
      providerCharged: number;
      providerRefunded: number;
      completedTotals: number;
    }[]
  >`
    select
      (select coalesce(sum(amount_cents), 0) from payments.charges)::bigint::float8 as charged,
      (select coalesce(sum(amount_cents), 0) from payments.refunds)::bigint::float8 as refunded,
      (select coalesce(sum(amount_cents), 0) from payments.provider_calls
         where operation = 'charge' and status = 201 and not replayed)::bigint::float8 as "providerCharged",
      (select coalesce(sum(amount_cents), 0) from payments.provider_calls
         where operation = 'refund' and status = 201 and not replayed)::bigint::float8 as "providerRefunded",
      (select coalesce(sum(o.total_cents), 0) from orders.orders o
         join saga.instances s on s.id = o.saga_id
         where s.status = 'completed' and o.status = 'confirmed')::bigint::float8 as "completedTotals"`;
  const m = money!;
  if (m.charged - m.refunded !== m.completedTotals)
    problems.push(`books: charged ${m.charged} - refunded ${m.refunded} ≠ completed ${m.completedTotals}`);
  if (m.providerCharged - m.providerRefunded !== m.completedTotals)
    problems.push(
      `provider: charged ${m.providerCharged} - refunded ${m.providerRefunded} ≠ completed ${m.completedTotals}`,
    );
  // The books hold one charge per saga (charges.saga_id is unique), so a second charge the
  // provider accepted for a saga — under another idempotency key, or repeated after a rollback
  // without the provider's idempotency — is a charge the books do not hold.
  const unbooked = await sql<{ key: string; charges: number }[]>`
    select p.idempotency_key as key, count(*)::int as charges
    from payments.provider_calls p
    where p.operation = 'charge' and p.status = 201 and not p.replayed
      and not exists (select 1 from payments.charges c where c.provider_reference = p.reference)
    group by p.idempotency_key order by 1`;
  if (unbooked.length > 0)
    problems.push(
      `${unbooked.reduce((n, u) => n + u.charges, 0)} charges accepted by the provider that the books do not hold: a card charged twice or a charge lost (keys ${examples(unbooked.map((u) => ({ saga_id: u.key })))})`,
    );
  const invented = await sql<{ saga_id: string }[]>`
    select c.saga_id from payments.charges c
    where not exists (
      select 1 from payments.provider_calls p
      where p.operation = 'charge' and p.status = 201 and p.reference = c.provider_reference
        and p.idempotency_key = c.saga_id::text)
    order by c.created_at`;
  if (invented.length > 0)
    problems.push(
      `${invented.length} charges in the books that the provider never accepted for their saga (sagas ${examples(invented)})`,
    );
  return problems.length === before;
}

interface SagaEffects {
  saga_id: string;
  status: string;
  total_cents: number | null;
  orders: number;
  confirmed_orders: number;
  cancelled_orders: number;
  holds: number;
  committed_holds: number;
  released_holds: number;
  charges: number;
  charged_cents: number;
  refunds: number;
  refunded_cents: number;
  provider_charges: number;
  provider_charged_cents: number;
  provider_refunds: number;
  provider_refunded_cents: number;
  shipments: number;
  scheduled_shipments: number;
  cancelled_shipments: number;
  returned_holds: number;
  withdrawn_shipments: number;
  cancellations: number;
}

/**
 * Per ended checkout, the effects its outcome calls for. Cancelled afterwards (one completed
 * order cancellation): order cancelled, stock returned, refunded in full (books and provider),
 * shipment withdrawn. Completed: its order confirmed, its hold
 * committed, charged once (books and provider) for the order's total and not refunded, one
 * shipment scheduled. Compensated: every effect undone — its order (if created) cancelled, its
 * hold (if taken) released, its shipment (if scheduled) cancelled, and its payment never taken
 * or refunded in full, at the provider too.
 */
async function sagaProblems(database: DatabaseHandle): Promise<string[]> {
  const rows = await database.sql<SagaEffects[]>`
    with
      o as (select saga_id, count(*)::int as n,
              count(*) filter (where status = 'confirmed')::int as confirmed,
              count(*) filter (where status = 'cancelled')::int as cancelled,
              max(total_cents)::int as total_cents
            from orders.orders group by saga_id),
      r as (select saga_id, count(*)::int as n,
              count(*) filter (where status = 'committed')::int as committed,
              count(*) filter (where status = 'released')::int as released,
              count(*) filter (where status = 'returned')::int as returned
            from inventory.reservations group by saga_id),
      c as (select saga_id, count(*)::int as n, sum(amount_cents)::int as cents
            from payments.charges group by saga_id),
      rf as (select saga_id, count(*)::int as n, sum(amount_cents)::int as cents
             from payments.refunds group by saga_id),
      pc as (select idempotency_key, count(*)::int as n, sum(amount_cents)::int as cents
             from payments.provider_calls
             where operation = 'charge' and status = 201 and not replayed group by idempotency_key),
      pr as (select idempotency_key, count(*)::int as n, sum(amount_cents)::int as cents
             from payments.provider_calls
             where operation = 'refund' and status = 201 and not replayed group by idempotency_key),
      sh as (select saga_id, count(*)::int as n,
               count(*) filter (where status in ('scheduled', 'shipped'))::int as scheduled,
               count(*) filter (where status = 'cancelled')::int as cancelled,
               count(*) filter (where status = 'withdrawn')::int as withdrawn
             from shipping.shipments group by saga_id),
      cx as (select (business_keys ->> 'checkoutSagaId')::uuid as checkout_id, count(*)::int as n
             from saga.instances where saga_type = 'order-cancellation' and status = 'completed' group by 1)
    select s.id as saga_id, s.status, o.total_cents,
      coalesce(o.n, 0) as orders, coalesce(o.confirmed, 0) as confirmed_orders,
      coalesce(o.cancelled, 0) as cancelled_orders,
      coalesce(r.n, 0) as holds, coalesce(r.committed, 0) as committed_holds,
      coalesce(r.released, 0) as released_holds,
      coalesce(c.n, 0) as charges, coalesce(c.cents, 0) as charged_cents,
      coalesce(rf.n, 0) as refunds, coalesce(rf.cents, 0) as refunded_cents,
      coalesce(pc.n, 0) as provider_charges, coalesce(pc.cents, 0) as provider_charged_cents,
      coalesce(pr.n, 0) as provider_refunds, coalesce(pr.cents, 0) as provider_refunded_cents,
      coalesce(sh.n, 0) as shipments, coalesce(sh.scheduled, 0) as scheduled_shipments,
      coalesce(sh.cancelled, 0) as cancelled_shipments,
      coalesce(r.returned, 0) as returned_holds, coalesce(sh.withdrawn, 0) as withdrawn_shipments,
      coalesce(cx.n, 0) as cancellations
    from saga.instances s
    left join o on o.saga_id = s.id
    left join r on r.saga_id = s.id
    left join c on c.saga_id = s.id
    left join rf on rf.saga_id = s.id
    left join pc on pc.idempotency_key = s.id::text
    left join pr on pr.idempotency_key = s.id::text
    left join sh on sh.saga_id = s.id
    left join cx on cx.checkout_id = s.id
    where s.saga_type = 'checkout' and s.status in ('completed', 'compensated')
    order by s.created_at`;
  const found = new Map<string, string[]>();
  const flag = (rule: string, sagaId: string) => found.set(rule, [...(found.get(rule) ?? []), sagaId]);
  for (const s of rows) {
    if (s.status === 'completed' && (s.cancelled_orders > 0 || s.cancellations > 0)) {
      // Cancelled after it completed: one order cancellation, which undid every effect.
      if (s.cancellations !== 1 || s.cancelled_orders !== 1)
        flag('cancelled without exactly one completed cancellation', s.saga_id);
      if (s.holds !== 1 || s.returned_holds !== 1) flag('cancelled without its stock returned', s.saga_id);
      if (s.charged_cents !== s.total_cents || s.refunded_cents !== s.total_cents)
        flag('cancelled without its charge refunded in full in the books', s.saga_id);
      if (s.provider_charged_cents !== s.total_cents || s.provider_refunded_cents !== s.total_cents)
        flag('cancelled without its charge refunded in full at the provider', s.saga_id);
      if (s.shipments !== 1 || s.withdrawn_shipments !== 1)
        flag('cancelled without its shipment withdrawn', s.saga_id);
    } else if (s.status === 'completed') {
      if (s.orders !== 1 || s.confirmed_orders !== 1)
        flag('completed without its order confirmed', s.saga_id);
      if (s.holds !== 1 || s.committed_holds !== 1) flag('completed without its hold committed', s.saga_id);
      if (s.charges !== 1 || s.charged_cents !== s.total_cents)
        flag('completed without one charge of the order total in the books', s.saga_id);
      if (s.provider_charges !== 1 || s.provider_charged_cents !== s.total_cents)
        flag('completed without one charge of the order total at the provider', s.saga_id);
      if (s.refunds !== 0 || s.provider_refunds !== 0) flag('completed but refunded', s.saga_id);
      if (s.shipments !== 1 || s.scheduled_shipments !== 1)
        flag('completed without one shipment scheduled or shipped', s.saga_id);
    } else {
      if (s.cancelled_orders !== s.orders) flag('compensated with its order not cancelled', s.saga_id);
      if (s.released_holds !== s.holds) flag('compensated with its hold not released', s.saga_id);
      if (s.cancelled_shipments !== s.shipments)
        flag('compensated with its shipment not cancelled', s.saga_id);
      if (s.charged_cents !== s.refunded_cents)
        flag('compensated with its charge not refunded in the books', s.saga_id);
      if (s.provider_charged_cents !== s.provider_refunded_cents)
        flag('compensated with its charge not refunded at the provider', s.saga_id);
    }
  }
  return [...found].map(
    ([rule, sagaIds]) =>
      `${sagaIds.length} sagas ${rule} (${examples(sagaIds.map((id) => ({ saga_id: id })))})`,
  );
}

/** A few saga ids for a problem message. */
function examples(rows: readonly { saga_id: string }[]): string {
  const shown = rows.slice(0, 3).map((r) => r.saga_id);
  return rows.length > shown.length ? `${shown.join(', ')}, …` : shown.join(', ');
}

/** Each saga's outcome: status and, when it did not complete, the code of its failure. */
export async function sagaOutcomes(
  database: DatabaseHandle,
  sagaIds: readonly string[],
): Promise<{ status: string; reason: string | null }[]> {
  const rows = await database.sql<{ id: string; status: string; reason: string | null }[]>`
    select id, status, failure_reason->>'code' as reason from saga.instances where id = any(${database.sql.array([...sagaIds])}::uuid[])`;
  const byId = new Map(rows.map((r) => [r.id, { status: r.status, reason: r.reason }]));
  return sagaIds.map((id) => byId.get(id) ?? { status: 'missing', reason: null });
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

/**
 * Waits for the run to settle — every saga ended, then nothing in flight (`waitForQuiescence`) —
 * and checks the books. Fails (throws) if a saga is still running after `endedWithinMs`.
 */
export async function settledBooks(
  system: System,
  initialStock: ReadonlyMap<string, number>,
  endedWithinMs = 60_000,
): Promise<ConsistencyReport> {
  const running = await waitForAllEnded(system.database, endedWithinMs);
  if (running > 0)
    throw new Error(`${running} sagas still running after ${endedWithinMs} ms\n${await system.diagnose()}`);
  await waitForQuiescence(system);
  const report = await checkConsistency(system.database, initialStock);
  const rebuilt = await sagasRebuiltFromEvents(system);
  return rebuilt === undefined ? report : { ...report, problems: [...report.problems, rebuilt] };
}

/**
 * `npm run sagas:rebuild` (compare only) on the system's database: undefined when every row of
 * `saga.instances` equals what its events rebuild, else the problem.
 */
export async function sagasRebuiltFromEvents(system: System): Promise<string | undefined> {
  const run = await system.runSagasRebuild();
  const summary = run.stdout.find((line) => line.startsWith('{'));
  if (run.code === 0 && summary) return undefined;
  return `saga.instances differs from its rebuild from saga.events (exit ${run.code}): ${summary ?? run.stderr}`;
}
