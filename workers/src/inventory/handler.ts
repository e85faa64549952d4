// The inventory worker's commands: reserve stock for an order (with an expiry) and release it.
import type { CommandHandlers } from '../runtime/command-handler.js';
import { releaseReservation, reserveStock } from './reservations.js';

/** Handlers of `inventory.*` commands; holds last `reservationTtlSeconds`. */
export function inventoryHandlers(settings: { reservationTtlSeconds: number }): CommandHandlers<'inventory'> {
  return {
    'inventory.reserve': ({ tx, sagaId, payload }) =>
      reserveStock(tx, {
        sagaId,
        orderId: payload.orderId,
        items: payload.items,
        ttlSeconds: settings.reservationTtlSeconds,
      }),
    'inventory.release': async ({ tx, payload }) => {
      await releaseReservation(tx, payload.orderId);
      return {};
    },
  };
}
