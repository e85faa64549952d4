// The shipping worker's domain: one shipment per saga, to the countries it serves.
import { randomUUID } from 'node:crypto';
import { BusinessRefusal, TransientError, type Address } from '@sagaport/rabbitmq';
import { jsonb, type WorkerSql } from '../runtime/sql.js';

/** Lifecycle of a shipment: scheduled → cancelled. */
export const ShipmentStatus = {
  scheduled: 'scheduled',
  cancelled: 'cancelled',
} as const;
export type ShipmentStatus = (typeof ShipmentStatus)[keyof typeof ShipmentStatus];

export interface ScheduleRequest {
  readonly sagaId: string;
  readonly orderId: string;
  readonly address: Address;
  readonly countries: ReadonlySet<string>;
}

/**
 * Schedules the saga's shipment; a saga that has one gets it back. An address outside
 * `countries` is refused (`country_not_served`).
 */
export async function scheduleShipment(
  sql: WorkerSql,
  request: ScheduleRequest,
): Promise<{ shipmentId: string }> {
  const { country } = request.address;
  if (!request.countries.has(country)) {
    throw new BusinessRefusal('country_not_served', `we do not ship to ${country}`);
  }
  const [row] = await sql<{ id: string | null }[]>`
    with created as (
      insert into shipping.shipments (id, saga_id, order_id, country, address, status)
      values (${randomUUID()}, ${request.sagaId}, ${request.orderId}, ${country},
        ${jsonb(request.address)}::jsonb, ${ShipmentStatus.scheduled})
      on conflict (saga_id) do nothing
      returning id)
    select coalesce((select id from created),
      (select id from shipping.shipments where saga_id = ${request.sagaId})) as id`;
  if (!row?.id) throw new TransientError(`saga ${request.sagaId} was shipped concurrently; retrying`);
  return { shipmentId: row.id };
}

/** Cancels the saga's scheduled shipment; returns whether it changed (a missing one needs nothing). */
export async function cancelShipment(sql: WorkerSql, sagaId: string): Promise<boolean> {
  const cancelled = await sql`
    update shipping.shipments set status = ${ShipmentStatus.cancelled}, updated_at = now()
    where saga_id = ${sagaId} and status = ${ShipmentStatus.scheduled}
    returning id`;
  return cancelled.length > 0;
}
