// The inventory's reaction to order events: a confirmed order commits its hold, so expiry never releases sold stock.
import {
  asInboxSeenBefore,
  InboxSeenBefore,
  inboxSeenBeforeMarker,
  OUTBOX_CHANNEL,
  readInboxBatch,
  type BatchInboxClaim,
  type NewOutboxMessage,
} from '@sagaport/db';
import { z } from 'zod';
import { settle, type Commit } from '@sagaport/runtime';
import type postgres from 'postgres';
import type { InboundMessage, Logger, OrderConfirmed, Topology } from '@sagaport/rabbitmq';
import type { CommandRounds } from '../runtime/command-rounds.js';
import { runAlone, type ConfirmedPublish, type Produced, type RoundRun } from '../runtime/round-run.js';
import { eventOutboxRow } from '../runtime/messages.js';
import { silentLogger } from '@sagaport/rabbitmq';
import { commitReservations, ReservationStatus } from './reservations.js';

/** The inbox consumer name of the order-events subscription (separate from the `inventory` command inbox). */
export const orderEventsConsumer = 'inventory-order-events';

type OrderEvent = Pick<InboundMessage, 'messageId' | 'type' | 'correlationId' | 'payload'>;

/** What the inbox row of an order event stores when its `stock.committed` event is published directly. */
const StoredOrderEventReply = z.object({
  events: z.array(
    z.object({
      messageId: z.string(),
      exchange: z.string(),
      routingKey: z.string(),
      messageType: z.string(),
      correlationId: z.string().nullable().optional(),
      headers: z.record(z.string(), z.unknown()).nullable().optional(),
      payload: z.unknown(),
    }),
  ),
});

/** Where a hold commit's `stock.committed` event goes: its order event's inbox row (published by the worker) or the outbox (the relay). */
type EventStore = 'inbox' | 'outbox';

/**
 * Claims the batch's order events in the inbox and writes the `stock.committed` event of each
 * order whose hold this transaction committed (its `updated_at` is the transaction's `now()`):
 * into the order event's inbox row, written whole, returning those events to publish after the
 * COMMIT; or into the outbox, with a NOTIFY for the relay. One statement, sent behind the
 * commits in the same round trip; like `claimNewInboxBatch` it fails inside PostgreSQL
 * (aborting the transaction) if any event was claimed before.
 */
async function claimWithCommittedEvents(
  tx: postgres.TransactionSql | postgres.ReservedSql,
  topology: Topology | undefined,
  fresh: readonly OrderEvent[],
  confirmed: readonly { orderId: string; sagaId: string | undefined; causationId: string }[],
  store: EventStore,
): Promise<NewOutboxMessage[]> {
  if (fresh.length === 0) return [];
  const eventOf = new Map(
    (topology ? confirmed : []).map(({ orderId, sagaId, causationId }) => [
      causationId,
      {
        orderId,
        event: eventOutboxRow(
          topology!,
          { type: 'stock.committed', payload: { orderId }, sequence: 2, sagaId: sagaId ?? null },
          causationId,
        ),
      },
    ]),
  );
  const orderIds = [...eventOf.values()].map(({ orderId }) => orderId);
  const rows = JSON.stringify(
    fresh.map((event) => ({
      message_id: event.messageId,
      message_type: event.type,
      correlation_id: event.correlationId ?? null,
      order_id: eventOf.get(event.messageId)?.orderId ?? null,
      event: eventOf.get(event.messageId)?.event ?? null,
    })),
  );
  try {
    const [row] = await tx<{ events: NewOutboxMessage[] }[]>`
      with input as (
        select * from jsonb_to_recordset(${rows}::jsonb) as r(
          message_id uuid, message_type text, correlation_id uuid, order_id uuid, event jsonb)
      ), committed as (
        -- The order ids as an array too: the reservations are read by their unique index, not
        -- scanned whole under a plan made while the table was small.
        select i.message_id, i.event from input i
        where i.event is not null and exists (
          select 1 from inventory.reservations r
          where r.order_id = i.order_id and r.order_id = any(${tx.array(orderIds, 2950)}::uuid[])
            and r.status = ${ReservationStatus.committed} and r.updated_at = now())
      ), claimed as (
        insert into inbox (consumer, message_id, message_type, correlation_id, reply)
        select ${orderEventsConsumer}, i.message_id, i.message_type, i.correlation_id,
          case when ${store} = 'inbox' and c.event is not null
            then jsonb_build_object('events', jsonb_build_array(c.event)) end
        from input i left join committed c on c.message_id = i.message_id
        order by i.message_id
        on conflict (consumer, message_id) do nothing
        returning reply
      ), boxed as (
        insert into outbox (message_id, exchange, routing_key, message_type, correlation_id, headers, payload)
        select o."messageId", o.exchange, o."routingKey", o."messageType", o."correlationId", o.headers, o.payload
        from committed c, jsonb_to_record(c.event) as o(
          "messageId" uuid, exchange text, "routingKey" text, "messageType" text, "correlationId" uuid,
          headers jsonb, payload jsonb)
        where ${store} = 'outbox'
        returning 1)
      select sagaport_expect_rows(${fresh.length}, (select count(*) from claimed),
          ${`${inboxSeenBeforeMarker} by ${orderEventsConsumer}`}) as ok,
        case when exists (select 1 from boxed) then pg_notify(${OUTBOX_CHANNEL}, '') end as notified,
        coalesce((select jsonb_agg(e) from claimed c, jsonb_array_elements(c.reply->'events') e), '[]'::jsonb)
          as events`;
    return row?.events ?? [];
  } catch (error) {
    throw asInboxSeenBefore(error);
  }
}

/** The events stored with an order event seen before, to publish again. */
function storedEvents(claim: BatchInboxClaim | undefined): NewOutboxMessage[] {
  if (!claim || claim.firstDelivery || claim.reply === null || claim.reply === undefined) return [];
  return StoredOrderEventReply.parse(claim.reply).events.map(({ headers, ...e }) => ({
    ...e,
    correlationId: e.correlationId ?? null,
    ...(headers ? { headers } : {}),
  }));
}

/**
 * Builds the handler of `inventory.order-events`, a batch at a time: `order.confirmed` commits
 * the order's held reservation; `order.cancelled` needs nothing (the saga releases stock with
 * `inventory.release`). The batch's events are claimed in the inbox in the same transaction, so
 * a redelivery does nothing. Betting that every event is new, the commits, the claim and the
 * COMMIT leave in one round trip; a batch holding an event seen before is rolled back by its
 * claim and run again with the claims read first (two round trips).
 *
 * With `publish`, each `stock.committed` event is stored in its order event's inbox row (claimed
 * whole, behind the commits) and published right after the COMMIT; the batch resolves, and is
 * acked, once the broker confirmed them. A redelivery finds the row and publishes the stored
 * event again (the same message id). Without it, the events go to the outbox and the relay
 * publishes them.
 *
 * With `rounds`, each batch commits and publishes in the process's next shared round, beside
 * the command batches of the other workers.
 */
export function createOrderEventHandler(
  sql: postgres.Sql,
  logger: Logger = silentLogger,
  /** Where `stock.committed` events go; without it none is raised (tests of the holds alone). */
  topology?: Topology,
  publish?: ConfirmedPublish,
  /** This process's shared rounds: the batches commit and publish with the command batches. */
  rounds?: CommandRounds,
): (events: readonly OrderEvent[]) => Promise<void> {
  const confirmedOf = (fresh: readonly OrderEvent[]) =>
    fresh.flatMap((event) =>
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
  const report = (
    confirmed: readonly { orderId: string; sagaId: string | undefined }[],
    statuses: readonly (ReservationStatus | null)[],
  ) =>
    confirmed.forEach(({ orderId, sagaId }, index) => {
      if (statuses[index] === ReservationStatus.released) {
        // The hold expired before the order was confirmed: the stock went back on sale.
        logger.error({ orderId, sagaId }, 'order confirmed after its hold was released');
      } else if (statuses[index] === null) {
        logger.warn({ orderId, sagaId }, 'order confirmed without a reservation');
      }
    });

  const store: EventStore = publish && topology ? 'inbox' : 'outbox';
  // The hold commits, then the claims with the events, then the COMMIT: one round trip when
  // every event is new. Otherwise the claims are read first, and a redelivered event's stored
  // events are published again.
  const apply = async (
    tx: postgres.ReservedSql,
    commit: Commit,
    events: readonly OrderEvent[],
    expectNew: boolean,
  ): Promise<Produced> => {
    const distinct = [...new Map(events.map((event) => [event.messageId, event])).values()];
    let fresh: readonly OrderEvent[] = distinct;
    let again: NewOutboxMessage[] = [];
    if (!expectNew) {
      const claims = await readInboxBatch(
        tx,
        orderEventsConsumer,
        distinct.map((event) => event.messageId),
      );
      fresh = distinct.filter((event) => claims.get(event.messageId)?.firstDelivery === true);
      if (store === 'inbox') again = distinct.flatMap((event) => storedEvents(claims.get(event.messageId)));
    }
    const confirmed = confirmedOf(fresh);
    const [committed, claimed, done] = await Promise.all([
      settle(
        commitReservations(
          tx,
          confirmed.map(({ orderId }) => orderId),
        ),
      ),
      settle(claimWithCommittedEvents(tx, topology, fresh, confirmed, store)),
      settle(commit()),
    ]);
    // A claim that met an event seen before aborted the transaction: its error explains.
    if ('error' in claimed && claimed.error instanceof InboxSeenBefore) throw claimed.error;
    if ('error' in committed) throw committed.error;
    if ('error' in claimed) throw claimed.error;
    if ('error' in done) throw done.error;
    report(confirmed, committed.value);
    return { produced: store === 'inbox' ? [...again, ...claimed.value] : [] };
  };

  const start = (events: readonly OrderEvent[]): RoundRun<Produced, void> => {
    let attempt = 0;
    return {
      pending: events.length > 0,
      inTransaction: (tx, commit) => apply(tx, commit, events, attempt === 0),
      // A duplicate claimed between the read of the claims and this batch's own: read again (bounded).
      recover(error) {
        if (!(error instanceof InboxSeenBefore) || attempt >= 3) return false;
        attempt += 1;
        return true;
      },
      outcome: () => undefined,
    };
  };
  return (events) => (rounds ? rounds.run(start(events)) : runAlone(start(events), sql, publish));
}
