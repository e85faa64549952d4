// The inventory worker's commands: reserve stock for an order (with an expiry) and release it.
import type { CommandHandlers } from '../runtime/command-handler.js';
import type { InventoryRelease, InventoryReserve, InventoryRestock } from '@sagaport/rabbitmq';
import type { CommandDelivery } from '../runtime/messages.js';
import type { WorkerSql } from '../runtime/sql.js';
import { lockStockOf, releaseReservation, reserveStock, restockOrder } from './reservations.js';

/**
 * Handlers of `inventory.*` commands; holds last `reservationTtlSeconds`. A hold's events:
 * stock.reserved (sequence 1), then released, committed or expired (2); a committed hold put back
 * by the order's cancellation: stock.returned (3).
 */
export function inventoryHandlers(settings: { reservationTtlSeconds: number }): CommandHandlers<'inventory'> {
  return {
    'inventory.reserve': async ({ sql, sagaId, payload, emit }) => {
      const hold = await reserveStock(sql, {
        sagaId,
        orderId: payload.orderId,
        items: payload.items,
        ttlSeconds: settings.reservationTtlSeconds,
      });
      const lines = payload.items.map(({ sku, quantity }) => ({ sku, quantity }));
      await emit(
        'stock.reserved',
        { orderId: payload.orderId, reservationId: hold.reservationId, lines, expiresAt: hold.expiresAt },
        1,
      );
      return hold;
    },
    'inventory.release': async ({ sql, payload, emit }) => {
      if (await releaseReservation(sql, payload.orderId))
        await emit('stock.released', { orderId: payload.orderId }, 2);
      return {};
    },
    'inventory.restock': async ({ sql, payload, emit }) => {
      const restocked = await restockOrder(sql, payload.orderId);
      // After reserved (1) and committed (2); none when this command moved nothing (done already).
      if (restocked.units > 0)
        await emit('stock.returned', { orderId: payload.orderId, units: restocked.units }, 3);
      return restocked;
    },
  };
}

/** Locks, in sku order, the stock a batch of inventory commands moves (see {@link lockStockOf}). */
export async function lockInventoryBatch(
  sql: WorkerSql,
  commands: readonly CommandDelivery[],
): Promise<void> {
  const reserveSkus = new Set<string>();
  const releaseOrderIds: string[] = [];
  for (const command of commands) {
    if (command.type === 'inventory.reserve') {
      for (const line of (command.payload as InventoryReserve).items) reserveSkus.add(line.sku);
    } else if (command.type === 'inventory.release') {
      releaseOrderIds.push((command.payload as InventoryRelease).orderId);
    } else if (command.type === 'inventory.restock') {
      releaseOrderIds.push((command.payload as InventoryRestock).orderId);
    }
  }
  // A lone command locks its own rows in order already.
  if (commands.length < 2) return;
  await lockStockOf(sql, { reserveSkus: [...reserveSkus], releaseOrderIds });
}
