// The inventory's reaction to order events: a confirmed order commits its hold, so expiry never releases sold stock.
import {
  claimInboxBatch,
  claimNewInboxBatch,
  InboxSeenBefore,
  outboxRowsJson,
  OUTBOX_CHANNEL,
} from '@sagaport/db';
import { pipelinedTransaction, settle, type Settled } from '@sagaport/runtime';
import type postgres from 'postgres';
import type { InboundMessage, Logger, OrderConfirmed, Topology } from '@sagaport/rabbitmq';
import { eventOutboxRow } from '../runtime/messages.js';
import { silentLogger } from '@sagaport/rabbitmq';
import { commitReservation, ReservationStatus } from './reservations.js';

/** The inbox consumer name of the order-events subscription (separate from the `inventory` command inbox). */
export const orderEventsConsumer = 'inventory-order-events';

type OrderEvent = Pick<InboundMessage, 'messageId' | 'type' | 'correlationId' | 'payload'>;

/**
 * Writes a `stock.committed` event to the outbox for each hold of `candidates` that this
 * transaction committed (its `updated_at` is the transaction's `now()`), in one statement sent
 * behind the commits: no round trip of its own. The relay publishes them after the COMMIT.
 */
async function committedEventsToOutbox(
  tx: postgres.TransactionSql | postgres.ReservedSql,
  topology: Topology,
  candidates: readonly { orderId: string; sagaId: string | undefined; causationId: string }[],
): Promise<void> {
  if (candidates.length === 0) return;
  const rows = candidates.map(({ orderId, sagaId, causationId }) =>
    eventOutboxRow(
      topology,
      { type: 'stock.committed', payload: { orderId }, sequence: 2, sagaId: sagaId ?? null },
      causationId,
    ),
  );
  await tx`
    with written as (
      insert into outbox (message_id, exchange, routing_key, message_type, correlation_id, headers, payload)
      select o.message_id, o.exchange, o.routing_key, o.message_type, o.correlation_id, o.headers, o.payload
      from jsonb_to_recordset(${outboxRowsJson(rows)}::jsonb) as o(
        message_id uuid, exchange text, routing_key text, message_type text, correlation_id uuid,
        headers jsonb, payload jsonb)
      join inventory.reservations r on r.order_id = (o.payload->>'orderId')::uuid
        and r.status = ${ReservationStatus.committed} and r.updated_at = now()
      returning 1)
    select case when exists (select 1 from written) then pg_notify(${OUTBOX_CHANNEL}, '') end`;
}

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
  /** Where `stock.committed` events go; without it none is raised (tests of the holds alone). */
  topology?: Topology,
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
          ? [
              {
                orderId: (event.payload as OrderConfirmed).orderId,
                sagaId: event.correlationId,
                causationId: event.messageId,
              },
            ]
          : [],
      );
      // The claims, every hold committed, their events and the COMMIT: one round trip when betting.
      const [claimed, committed, written, done] = await Promise.all([
        bet,
        settle(Promise.all(confirmed.map(({ orderId }) => commitReservation(tx, orderId)))),
        settle(topology ? committedEventsToOutbox(tx, topology, confirmed) : Promise.resolve()),
        settle(commit()),
      ]);
      // A failed claim aborted the statements behind it: its error is the one that explains.
      if (claimed && 'error' in claimed) throw claimed.error;
      if ('error' in committed) throw committed.error;
      if ('error' in written) throw written.error;
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
