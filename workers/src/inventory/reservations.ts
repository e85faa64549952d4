// Reservations: a hold on stock for one order, held → committed (order confirmed) or released (compensation, expiry).
import { randomUUID } from 'node:crypto';
import { BusinessRefusal, TransientError, type OrderLine } from '@sagaport/rabbitmq';
import { jsonb, type WorkerSql } from '../runtime/sql.js';
import { mergeLines } from './stock.js';

/** Lifecycle of a reservation. */
export const ReservationStatus = {
  held: 'held',
  committed: 'committed',
  released: 'released',
  /** A committed (sold) reservation whose order was cancelled: its stock is back on sale. */
  returned: 'returned',
} as const;
export type ReservationStatus = (typeof ReservationStatus)[keyof typeof ReservationStatus];

export interface ReserveRequest {
  readonly sagaId: string;
  readonly orderId: string;
  readonly items: readonly OrderLine[];
  readonly ttlSeconds: number;
}

/** The reply result of a reservation: its id and when the hold expires (ISO 8601, UTC). */
export interface ReservationHold {
  readonly reservationId: string;
  readonly expiresAt: string;
}

/**
 * Holds stock for every line of an order, all or nothing, until `ttlSeconds` from now by the
 * database clock, in ONE statement: it locks the products in sku order, checks that every line
 * can be taken and the order holds nothing yet, and only then inserts the reservation (its
 * unique order id makes a concurrent second reservation of the same order wait, then find the
 * first) and takes the stock. An order that already holds or has committed its stock gets that
 * reservation back; one whose hold was released is refused (`reservation_released`) rather than
 * taking stock again; a line that cannot be taken refuses the whole order (`unknown_sku`,
 * `out_of_stock`, naming the sku) and the statement writes nothing.
 */
export async function reserveStock(sql: WorkerSql, request: ReserveRequest): Promise<ReservationHold> {
  const wanted = mergeLines(request.items);
  const lines = request.items.map(({ sku, quantity }) => ({ sku, quantity }));
  type Hold = { id: string; status?: string; expires_at: string };
  type Short = { sku: string; quantity: number; available: number | null };
  const [row] = await sql<{ held: Hold | null; prior: Hold | null; short: Short[] | null }[]>`
    with wanted as (
      select w.sku, w.quantity from jsonb_to_recordset(${jsonb(wanted)}::jsonb) as w(sku text, quantity int)
    ), locked as (
      select p.sku, p.available from inventory.products p join wanted w on w.sku = p.sku
      order by p.sku for update of p
    ), prior as (
      select id, status, expires_at from inventory.reservations where order_id = ${request.orderId}
    ), verdict as (
      select not exists (select 1 from prior)
        and (select count(*) from locked l join wanted w using (sku) where l.available >= w.quantity)
          = (select count(*) from wanted) as ok
    ), held as (
      insert into inventory.reservations (id, order_id, saga_id, lines, status, expires_at)
      select ${randomUUID()}, ${request.orderId}, ${request.sagaId}, ${jsonb(lines)}::jsonb,
        ${ReservationStatus.held}, now() + make_interval(secs => ${request.ttlSeconds})
      from verdict where ok
      on conflict (order_id) do nothing
      returning id, expires_at
    ), taken as (
      update inventory.products p set available = p.available - w.quantity, updated_at = now()
      from wanted w, held
      where p.sku = w.sku
      returning p.sku
    )
    select (select row_to_json(h) from held h) as held,
      (select row_to_json(x) from prior x) as prior,
      (select count(*) from taken) as taken,
      (select json_agg(json_build_object('sku', w.sku, 'quantity', w.quantity, 'available', l.available) order by w.sku)
         from wanted w left join locked l using (sku)
         where l.available is null or l.available < w.quantity) as short`;
  const hold = row?.held ?? row?.prior;
  if (row?.prior?.status === ReservationStatus.released) {
    throw new BusinessRefusal('reservation_released', `the hold for order ${request.orderId} was released`);
  }
  if (hold) return { reservationId: hold.id, expiresAt: new Date(hold.expires_at).toISOString() };
  const short = row?.short?.[0];
  if (!short) {
    // A concurrent reservation of the same order committed after this statement's snapshot.
    throw new TransientError(`order ${request.orderId} was reserved concurrently; retrying`);
  }
  if (short.available === null)
    throw new BusinessRefusal('unknown_sku', `sku ${short.sku} is not in the catalogue`);
  throw new BusinessRefusal(
    'out_of_stock',
    `sku ${short.sku}: ${short.quantity} requested, ${short.available} available`,
  );
}

/**
 * Gives a held reservation's stock back and marks it released, in one statement; returns
 * whether it did. A released, committed or missing reservation is left as it is (nothing to
 * give back, or sold).
 */
export async function releaseReservation(sql: WorkerSql, orderId: string): Promise<boolean> {
  const [row] = await sql<{ released: number }[]>`
    with released as (
      update inventory.reservations set status = ${ReservationStatus.released}, updated_at = now()
      where order_id = ${orderId} and status = ${ReservationStatus.held}
      returning lines
    ), back as (
      select x.sku, sum(x.quantity)::int as quantity
      from released r, jsonb_to_recordset(r.lines) as x(sku text, quantity int)
      group by x.sku
    ), restored as (
      update inventory.products p set available = p.available + b.quantity, updated_at = now()
      from back b where p.sku = b.sku
      returning 1
    )
    select (select count(*) from released)::int as released, (select count(*) from restored) as restored`;
  return (row?.released ?? 0) > 0;
}

/**
 * Marks the held reservations of confirmed orders committed (the stock is sold and the sweeper
 * must not release it), in one statement for the batch. Returns, per order id in `orderIds`, its
 * reservation's status afterwards, or null if the order has none.
 */
export async function commitReservations(
  sql: WorkerSql,
  orderIds: readonly string[],
): Promise<(ReservationStatus | null)[]> {
  if (orderIds.length === 0) return [];
  const rows = await sql<{ order_id: string; status: ReservationStatus }[]>`
    with committed as (
      update inventory.reservations set status = ${ReservationStatus.committed}, updated_at = now()
      where order_id = any(${sql.array([...orderIds], 2950)}::uuid[]) and status = ${ReservationStatus.held}
      returning order_id
    )
    -- The statement sees the rows as they were before its update: a committed one is named here.
    select order_id,
      case when order_id in (select order_id from committed) then ${ReservationStatus.committed} else status end
        as status
    from inventory.reservations where order_id = any(${sql.array([...orderIds], 2950)}::uuid[])`;
  const status = new Map(rows.map((row) => [row.order_id, row.status]));
  return orderIds.map((id) => status.get(id.toLowerCase()) ?? null);
}

/**
 * Locks, in sku order, every product a batch of inventory commands will move: the lines of its
 * reservations and the held or sold lines of the orders it releases or restocks. Several inventory processes then
 * take product locks in one order and cannot deadlock, whatever mix their batches hold.
 */
export async function lockStockOf(
  sql: WorkerSql,
  batch: { readonly reserveSkus: readonly string[]; readonly releaseOrderIds: readonly string[] },
): Promise<void> {
  if (batch.reserveSkus.length === 0 && batch.releaseOrderIds.length === 0) return;
  await sql`
    select 1 from inventory.products
    where sku = any(${sql.array([...batch.reserveSkus], 25)}::text[])
      or sku in (
        select x.sku from inventory.reservations r, jsonb_to_recordset(r.lines) as x(sku text, quantity int)
        where r.order_id = any(${sql.array([...batch.releaseOrderIds], 2950)}::uuid[])
          and r.status in (${ReservationStatus.held}, ${ReservationStatus.committed}))
    order by sku for update`;
}

/**
 * Puts a sold (committed) reservation's stock back on sale and marks it returned, in one
 * statement; returns the units given back (0 when there was nothing sold, or it was returned
 * already: a restock is never applied twice).
 */
export async function restockOrder(sql: WorkerSql, orderId: string): Promise<{ units: number }> {
  const [row] = await sql<{ units: number }[]>`
    with returned as (
      update inventory.reservations set status = ${ReservationStatus.returned}, updated_at = now()
      where order_id = ${orderId} and status = ${ReservationStatus.committed}
      returning lines
    ), back as (
      select x.sku, sum(x.quantity)::int as quantity
      from returned r, jsonb_to_recordset(r.lines) as x(sku text, quantity int)
      group by x.sku
    ), restored as (
      update inventory.products p set available = p.available + b.quantity, updated_at = now()
      from back b where p.sku = b.sku
      returning 1
    )
    select coalesce((select sum(quantity) from back), 0)::int as units, (select count(*) from restored) as restored`;
  return { units: row?.units ?? 0 };
}
