// The shipping worker's domain: one shipment per saga, to the countries it serves.
import { randomUUID } from 'node:crypto';
import { shipments, type DbExecutor } from '@sagaport/db';
import { BusinessRefusal, type Address } from '@sagaport/rabbitmq';
import { and, eq, sql } from 'drizzle-orm';

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
  tx: DbExecutor,
  request: ScheduleRequest,
): Promise<{ shipmentId: string }> {
  const { country } = request.address;
  if (!request.countries.has(country)) {
    throw new BusinessRefusal('country_not_served', `we do not ship to ${country}`);
  }
  const [created] = await tx
    .insert(shipments)
    .values({
      id: randomUUID(),
      sagaId: request.sagaId,
      orderId: request.orderId,
      country,
      address: request.address,
      status: ShipmentStatus.scheduled,
    })
    .onConflictDoNothing({ target: shipments.sagaId })
    .returning({ id: shipments.id });
  if (created) return { shipmentId: created.id };
  const [existing] = await tx
    .select({ id: shipments.id })
    .from(shipments)
    .where(eq(shipments.sagaId, request.sagaId));
  return { shipmentId: existing!.id };
}

/** Cancels the saga's scheduled shipment; returns whether it changed (a missing one needs nothing). */
export async function cancelShipment(tx: DbExecutor, sagaId: string): Promise<boolean> {
  const cancelled = await tx
    .update(shipments)
    .set({ status: ShipmentStatus.cancelled, updatedAt: sql`now()` })
    .where(and(eq(shipments.sagaId, sagaId), eq(shipments.status, ShipmentStatus.scheduled)))
    .returning({ id: shipments.id });
  return cancelled.length > 0;
}
