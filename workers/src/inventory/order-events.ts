// The inventory's reaction to order events: a confirmed order commits its hold, so expiry never releases sold stock.
import { claimInboxBatch } from '@sagaport/db';
import { pipelinedTransaction } from '@sagaport/runtime';
import type postgres from 'postgres';
import type { InboundMessage, Logger, OrderCancelled, OrderConfirmed } from '@sagaport/rabbitmq';
import { silentLogger } from '@sagaport/rabbitmq';
import { commitReservation, ReservationStatus } from './reservations.js';

/** The inbox consumer name of the order-events subscription (separate from the `inventory` command inbox). */
export const orderEventsConsumer = 'inventory-order-events';

type OrderEvent = Pick<InboundMessage, 'messageId' | 'type' | 'correlationId' | 'payload'>;

/**
 * Builds the handler of `inventory.order-events`, a batch at a time: `order.confirmed` commits
 * the order's held reservation; `order.cancelled` needs nothing (the saga releases stock with
 * `inventory.release`). The batch's events are claimed in the inbox with one statement in the
 * same transaction, so a redelivery does nothing.
 */
export function createOrderEventHandler(
  sql: postgres.Sql,
  logger: Logger = silentLogger,
): (events: readonly OrderEvent[]) => Promise<void> {
  return (events) =>
    pipelinedTransaction(sql, async (tx, commit) => {
      const claims = await claimInboxBatch(
        tx,
        orderEventsConsumer,
        events.map((event) => ({
          messageId: event.messageId,
          messageType: event.type,
          correlationId: event.correlationId ?? null,
        })),
      );
      const handled = new Set<string>();
      const confirmed: { orderId: string; sagaId: string | undefined }[] = [];
      for (const event of events) {
        const first = claims.get(event.messageId)?.firstDelivery === true && !handled.has(event.messageId);
        handled.add(event.messageId);
        if (!first || event.type !== 'order.confirmed') continue;
        const { orderId } = event.payload as OrderConfirmed | OrderCancelled;
        confirmed.push({ orderId, sagaId: event.correlationId });
      }
      // Every hold committed and the COMMIT in one round trip.
      const [statuses] = await Promise.all([
        Promise.all(confirmed.map(({ orderId }) => commitReservation(tx, orderId))),
        commit(),
      ]);
      confirmed.forEach(({ orderId, sagaId }, index) => {
        if (statuses[index] === ReservationStatus.released) {
          // The hold expired before the order was confirmed: the stock went back on sale.
          logger.error({ orderId, sagaId }, 'order confirmed after its hold was released');
        } else if (statuses[index] === null) {
          logger.warn({ orderId, sagaId }, 'order confirmed without a reservation');
        }
      });
    });
}
