// The shipping worker's domain: one shipment per saga, to the countries it serves.
import { randomUUID } from 'node:crypto';
import { BusinessRefusal, TransientError, type Address } from '@sagaport/rabbitmq';
import { coalesce } from '../runtime/coalesce.js';
import { jsonb, type WorkerSql } from '../runtime/sql.js';

/**
 * Lifecycle of a shipment: scheduled → cancelled (checkout compensated); scheduled → shipped
 * (its dispatch time came, or it was dispatched by hand); scheduled → withdrawn (an order
 * cancellation) → scheduled (that cancellation compensated).
 */
export const ShipmentStatus = {
  scheduled: 'scheduled',
  cancelled: 'cancelled',
  shipped: 'shipped',
  withdrawn: 'withdrawn',
} as const;
export type ShipmentStatus = (typeof ShipmentStatus)[keyof typeof ShipmentStatus];

export interface ScheduleRequest {
  readonly sagaId: string;
  readonly orderId: string;
  readonly address: Address;
  readonly countries: ReadonlySet<string>;
  /** How long after scheduling the parcel leaves (then it can no longer be withdrawn). */
  readonly dispatchDelayMs: number;
}

/** One shipment of a batch's `shipping.schedule` commands, its country already checked. */
interface NewShipment {
  readonly sagaId: string;
  readonly orderId: string;
  readonly address: Address;
  readonly dispatchDelayMs: number;
}

/**
 * Schedules the shipments of a batch in one statement, each as if alone after those before it:
 * a saga that has a shipment already (from before, or from an earlier copy in the batch) gets
 * its id; null when another transaction's shipment of the saga is not visible yet.
 */
const insertShipments = coalesce<NewShipment, string | null>(async (sql, inputs) => {
  const rows = inputs.map((s, n) => ({
    n,
    id: randomUUID(),
    saga_id: s.sagaId,
    order_id: s.orderId,
    country: s.address.country,
    address: s.address,
    delay_s: s.dispatchDelayMs / 1000,
  }));
  const found = await sql<{ id: string | null }[]>`
    with r as (
      select * from jsonb_to_recordset(${jsonb(rows)}::jsonb) as r(n int, id uuid, saga_id uuid,
        order_id uuid, country text, address jsonb, delay_s float8)
    ), created as (
      insert into shipping.shipments (id, saga_id, order_id, country, address, status, ship_after)
      select id, saga_id, order_id, country, address, ${ShipmentStatus.scheduled},
        now() + make_interval(secs => delay_s)
      from r order by n
      on conflict (saga_id) do nothing
      returning id, saga_id)
    select coalesce((select c.id from created c where c.saga_id = r.saga_id),
      (select s.id from shipping.shipments s where s.saga_id = r.saga_id)) as id
    from r order by r.n`;
  return found.map((row) => row.id);
});

/**
 * Schedules the saga's shipment; a saga that has one gets it back. An address outside
 * `countries` is refused (`country_not_served`). The schedules of a batch run as one statement.
 */
export async function scheduleShipment(
  sql: WorkerSql,
  request: ScheduleRequest,
): Promise<{ shipmentId: string }> {
  const { country } = request.address;
  if (!request.countries.has(country)) {
    throw new BusinessRefusal('country_not_served', `we do not ship to ${country}`);
  }
  const id = await insertShipments(sql, request);
  if (!id) throw new TransientError(`saga ${request.sagaId} was shipped concurrently; retrying`);
  return { shipmentId: id };
}

/**
 * Cancels the saga's scheduled shipment; returns the sequence of its `shipment.cancelled`, or null
 * when nothing changed (a missing one needs nothing).
 */
export async function cancelShipment(sql: WorkerSql, sagaId: string): Promise<number | null> {
  const [cancelled] = await sql<{ sequence: number }[]>`
    update shipping.shipments set status = ${ShipmentStatus.cancelled}, event_sequence = event_sequence + 1,
      updated_at = now()
    where saga_id = ${sagaId} and status = ${ShipmentStatus.scheduled}
    returning event_sequence as sequence`;
  return cancelled?.sequence ?? null;
}

/**
 * Withdraws the shipment the checkout `checkoutSagaId` scheduled, for the order-cancellation saga
 * `sagaId`, in one statement (locking the row). A shipment whose dispatch time has come is
 * marked shipped instead, and the withdrawal refused (`already_shipped`): the parcel is gone.
 * Refused too: no shipment (`no_shipment`), one the checkout cancelled (`shipment_cancelled`),
 * one another cancellation withdrew (`shipment_withdrawn`). The saga that withdrew it gets it back.
 * `sequence` is that of the withdrawal's `shipment.cancelled` when this call withdrew it, else null.
 */
export async function withdrawShipment(
  sql: WorkerSql,
  request: { readonly sagaId: string; readonly checkoutSagaId: string; readonly orderId: string },
): Promise<{ shipmentId: string; sequence: number | null }> {
  const [row] = await sql<
    {
      id: string;
      before: ShipmentStatus;
      withdrawn_by: string | null;
      after: ShipmentStatus | null;
      sequence: number | null;
    }[]
  >`
    with target as (
      select id, status, withdrawn_by, (ship_after is not null and ship_after <= now()) as due
      from shipping.shipments where saga_id = ${request.checkoutSagaId} for update
    ), moved as (
      update shipping.shipments s set
        status = case when t.due then ${ShipmentStatus.shipped} else ${ShipmentStatus.withdrawn} end,
        shipped_at = case when t.due then s.ship_after end,
        withdrawn_by = case when t.due then null else ${request.sagaId}::uuid end,
        event_sequence = case when t.due then s.event_sequence else s.event_sequence + 1 end,
        updated_at = now()
      from target t where s.id = t.id and t.status = ${ShipmentStatus.scheduled}
      returning s.status, s.event_sequence)
    select t.id, t.status as before, t.withdrawn_by, (select status from moved) as after,
      (select event_sequence from moved) as sequence
    from target t`;
  const order = request.orderId;
  if (!row) throw new BusinessRefusal('no_shipment', `order ${order} has no shipment to withdraw`);
  if (row.after === ShipmentStatus.withdrawn) return { shipmentId: row.id, sequence: row.sequence };
  if (row.before === ShipmentStatus.withdrawn && row.withdrawn_by === request.sagaId)
    return { shipmentId: row.id, sequence: null };
  if (row.after === ShipmentStatus.shipped || row.before === ShipmentStatus.shipped) {
    throw new BusinessRefusal(
      'already_shipped',
      `the shipment of order ${order} has shipped; it can no longer be cancelled`,
    );
  }
  if (row.before === ShipmentStatus.withdrawn) {
    throw new BusinessRefusal(
      'shipment_withdrawn',
      `the shipment of order ${order} was withdrawn by another cancellation (saga ${row.withdrawn_by ?? 'unknown'})`,
    );
  }
  throw new BusinessRefusal('shipment_cancelled', `the shipment of order ${order} is ${row.before}`);
}

/**
 * Schedules again a shipment the saga `sagaId` withdrew (its compensation); returns the sequence of
 * its `shipment.reinstated`, or null when nothing changed.
 */
export async function reinstateShipment(
  sql: WorkerSql,
  request: { readonly sagaId: string; readonly checkoutSagaId: string },
): Promise<number | null> {
  const [moved] = await sql<{ sequence: number }[]>`
    update shipping.shipments set status = ${ShipmentStatus.scheduled}, withdrawn_by = null,
      event_sequence = event_sequence + 1, updated_at = now()
    where saga_id = ${request.checkoutSagaId} and status = ${ShipmentStatus.withdrawn}
      and withdrawn_by = ${request.sagaId}
    returning event_sequence as sequence`;
  return moved?.sequence ?? null;
}

/**
 * Dispatches an order's scheduled shipment now (the warehouse handed the parcel over before its
 * dispatch time): from then on a withdrawal finds it shipped. Returns whether it changed.
 */
export async function dispatchShipment(sql: WorkerSql, orderId: string): Promise<boolean> {
  const moved = await sql`
    update shipping.shipments set status = ${ShipmentStatus.shipped}, shipped_at = now(), ship_after = now(),
      updated_at = now()
    where order_id = ${orderId} and status = ${ShipmentStatus.scheduled}
    returning id`;
  return moved.length > 0;
}
