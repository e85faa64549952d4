// Reservations: a hold on stock for one order, held → committed (order confirmed) or released (compensation, expiry).
import { randomUUID } from 'node:crypto';
import { reservations, type DbExecutor } from '@sagaport/db';
import { BusinessRefusal, type OrderLine } from '@sagaport/rabbitmq';
import { and, eq, sql } from 'drizzle-orm';
import { restoreStock, takeStock } from './stock.js';

/** Lifecycle of a reservation. */
export const ReservationStatus = {
  held: 'held',
  committed: 'committed',
  released: 'released',
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
 * Holds stock for every line of an order, all or nothing (see {@link takeStock}), until
 * `ttlSeconds` from now by the database clock. The reservation row is inserted first: its
 * unique order id makes a concurrent second reservation of the same order wait, then find the
 * first. An order that already holds or has committed its stock gets that reservation back; one
 * whose hold was released is refused (`reservation_released`) rather than taking stock again.
 */
export async function reserveStock(tx: DbExecutor, request: ReserveRequest): Promise<ReservationHold> {
  const [created] = await tx
    .insert(reservations)
    .values({
      id: randomUUID(),
      orderId: request.orderId,
      sagaId: request.sagaId,
      lines: request.items.map(({ sku, quantity }) => ({ sku, quantity })),
      status: ReservationStatus.held,
      expiresAt: sql`now() + make_interval(secs => ${request.ttlSeconds})`,
    })
    .onConflictDoNothing({ target: reservations.orderId })
    .returning({ id: reservations.id, expiresAt: reservations.expiresAt });
  if (created) {
    await takeStock(tx, request.items);
    return { reservationId: created.id, expiresAt: created.expiresAt.toISOString() };
  }
  const [existing] = await tx.select().from(reservations).where(eq(reservations.orderId, request.orderId));
  if (!existing || existing.status === ReservationStatus.released) {
    throw new BusinessRefusal('reservation_released', `the hold for order ${request.orderId} was released`);
  }
  return { reservationId: existing.id, expiresAt: existing.expiresAt.toISOString() };
}

/**
 * Gives a held reservation's stock back and marks it released; returns whether it did. A
 * released, committed or missing reservation is left as it is (nothing to give back, or sold).
 */
export async function releaseReservation(tx: DbExecutor, orderId: string): Promise<boolean> {
  const [held] = await tx
    .select({ id: reservations.id, lines: reservations.lines })
    .from(reservations)
    .where(and(eq(reservations.orderId, orderId), eq(reservations.status, ReservationStatus.held)))
    .for('update');
  if (!held) return false;
  await restoreStock(tx, held.lines);
  await tx
    .update(reservations)
    .set({ status: ReservationStatus.released, updatedAt: sql`now()` })
    .where(eq(reservations.id, held.id));
  return true;
}

/**
 * Marks an order's held reservation committed (the order is confirmed: the stock is sold and
 * the sweeper must not release it). Returns the reservation's status afterwards, or null if
 * the order has none.
 */
export async function commitReservation(tx: DbExecutor, orderId: string): Promise<ReservationStatus | null> {
  await tx
    .update(reservations)
    .set({ status: ReservationStatus.committed, updatedAt: sql`now()` })
    .where(and(eq(reservations.orderId, orderId), eq(reservations.status, ReservationStatus.held)));
  const [reservation] = await tx
    .select({ status: reservations.status })
    .from(reservations)
    .where(eq(reservations.orderId, orderId));
  return (reservation?.status as ReservationStatus | undefined) ?? null;
}
