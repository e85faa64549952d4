// The inventory's reaction to order events: a confirmed order commits its hold, so expiry never releases sold stock.
import { claimInboxBatch, claimNewInboxBatch, InboxSeenBefore } from '@sagaport/db';
import { pipelinedTransaction, settle, type Settled } from '@sagaport/runtime';
import type postgres from 'postgres';
import type { InboundMessage, Logger, OrderConfirmed } from '@sagaport/rabbitmq';
import { silentLogger } from '@sagaport/rabbitmq';
import { commitReservation, ReservationStatus } from './reservations.js';

/** The inbox consumer name of the order-events subscription (separate from the `inventory` command inbox). */
export const orderEventsConsumer = 'inventory-order-events';

type OrderEvent = Pick<InboundMessage, 'messageId' | 'type' | 'correlationId' | 'payload'>;

/**
 * Builds the handler of `inventory.order-events`, a batch at a time: `order.confirmed` commits
 * the order's held reservation; `order.cancelled` needs nothing (the saga releases stock with
 * `inventory.release`). The batch's events are claimed in the inbox in the same transaction, so
 * a redelivery does nothing. Betting that every event is new, the claim, the commits and the
 * COMMIT leave in one round trip; a batch holding an event seen before is rolled back by its
 * claim and run again with the claims read first (two round trips).
 */
export function createOrderEventHandler(
  sql: postgres.Sql,
  logger: Logger = silentLogger,
): (events: readonly OrderEvent[]) => Promise<void> {
  const inbox = (list: readonly OrderEvent[]) =>
    list.map((event) => ({
      messageId: event.messageId,
      messageType: event.type,
      correlationId: event.correlationId ?? null,
    }));
  const apply = (events: readonly OrderEvent[], expectNew: boolean) =>
    pipelinedTransaction(sql, async (tx, commit) => {
      const distinct = [...new Map(events.map((event) => [event.messageId, event])).values()];
      let bet: Promise<Settled<void>> | undefined;
      let fresh: readonly OrderEvent[] = distinct;
      if (expectNew) {
        bet = settle(claimNewInboxBatch(tx, orderEventsConsumer, inbox(distinct)));
      } else {
        const claims = await claimInboxBatch(tx, orderEventsConsumer, inbox(distinct));
        fresh = distinct.filter((event) => claims.get(event.messageId)?.firstDelivery === true);
      }
      const confirmed = fresh.flatMap((event) =>
        event.type === 'order.confirmed'
          ? [{ orderId: (event.payload as OrderConfirmed).orderId, sagaId: event.correlationId }]
          : [],
      );
      // The claims, every hold committed and the COMMIT: one round trip when betting.
      const [claimed, committed, done] = await Promise.all([
        bet,
        settle(Promise.all(confirmed.map(({ orderId }) => commitReservation(tx, orderId)))),
        settle(commit()),
      ]);
      // A failed claim aborted the statements behind it: its error is the one that explains.
      if (claimed && 'error' in claimed) throw claimed.error;
      if ('error' in committed) throw committed.error;
      if ('error' in done) throw done.error;
      const statuses = committed.value;
      confirmed.forEach(({ orderId, sagaId }, index) => {
        if (statuses[index] === ReservationStatus.released) {
          // The hold expired before the order was confirmed: the stock went back on sale.
          logger.error({ orderId, sagaId }, 'order confirmed after its hold was released');
        } else if (statuses[index] === null) {
          logger.warn({ orderId, sagaId }, 'order confirmed without a reservation');
        }
      });
    });
  return async (events) => {
    try {
      await apply(events, true);
    } catch (error) {
      if (!(error instanceof InboxSeenBefore)) throw error;
      await apply(events, false);
    }
  };
}
