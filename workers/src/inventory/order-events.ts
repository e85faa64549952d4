// The inventory's reaction to order events: a confirmed order commits its hold, so expiry never releases sold stock.
import { claimInbox, type Database } from '@sagaport/db';
import type { InboundMessage, Logger, OrderCancelled, OrderConfirmed } from '@sagaport/rabbitmq';
import { silentLogger } from '@sagaport/rabbitmq';
import { commitReservation, ReservationStatus } from './reservations.js';

/** The inbox consumer name of the order-events subscription (separate from the `inventory` command inbox). */
export const orderEventsConsumer = 'inventory-order-events';

/**
 * Builds the handler of `inventory.order-events`: `order.confirmed` commits the order's held
 * reservation; `order.cancelled` needs nothing (the saga releases stock with
 * `inventory.release`). Each event is recorded in the inbox in the same transaction, so a
 * redelivery does nothing.
 */
export function createOrderEventHandler(
  db: Database,
  logger: Logger = silentLogger,
): (event: Pick<InboundMessage, 'messageId' | 'type' | 'correlationId' | 'payload'>) => Promise<void> {
  return (event) =>
    db.transaction(async (tx) => {
      const claim = await claimInbox(tx, {
        consumer: orderEventsConsumer,
        messageId: event.messageId,
        messageType: event.type,
        correlationId: event.correlationId ?? null,
      });
      if (!claim.firstDelivery || event.type !== 'order.confirmed') return;
      const { orderId } = event.payload as OrderConfirmed | OrderCancelled;
      const status = await commitReservation(tx, orderId);
      if (status === ReservationStatus.released) {
        // The hold expired before the order was confirmed: the stock went back on sale.
        logger.error({ orderId, sagaId: event.correlationId }, 'order confirmed after its hold was released');
      } else if (status === null) {
        logger.warn({ orderId, sagaId: event.correlationId }, 'order confirmed without a reservation');
      }
    });
}
