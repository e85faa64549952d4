// The inventory's reaction to order events: a confirmed order commits its hold, so expiry never releases sold stock.
import { claimInboxBatch } from '@sagaport/db';
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
    sql.begin(async (tx) => {
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
      for (const event of events) {
        const first = claims.get(event.messageId)?.firstDelivery === true && !handled.has(event.messageId);
        handled.add(event.messageId);
        if (!first || event.type !== 'order.confirmed') continue;
        const { orderId } = event.payload as OrderConfirmed | OrderCancelled;
        const status = await commitReservation(tx, orderId);
        if (status === ReservationStatus.released) {
          // The hold expired before the order was confirmed: the stock went back on sale.
          logger.error(
            { orderId, sagaId: event.correlationId },
            'order confirmed after its hold was released',
          );
        } else if (status === null) {
          logger.warn({ orderId, sagaId: event.correlationId }, 'order confirmed without a reservation');
        }
      }
    });
}
