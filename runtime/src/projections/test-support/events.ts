// Test helpers: domain events published straight to the events exchange, and a projection that records what it applied.
import { randomUUID } from 'node:crypto';
import {
  batchEvents,
  buildMessage,
  EventHeader,
  eventHeaders,
  eventVersions,
  type ConfirmPublisher,
  type EventType,
  type Topology,
} from '@sagaport/rabbitmq';
import type postgres from 'postgres';
import type { Projection } from '../projection.js';

/** Publishes an event of `type` (at its current version unless `version` says otherwise) and waits for the confirm. */
export async function publishEvent(
  publisher: ConfirmPublisher,
  topology: Topology,
  type: string,
  payload: unknown,
  options: {
    sequence?: number;
    version?: number;
    aggregateId?: string;
    sagaId?: string;
    headers?: Record<string, unknown>;
  } = {},
): Promise<string> {
  const messageId = randomUUID();
  const aggregateId = options.aggregateId ?? (payload as { orderId?: string }).orderId ?? randomUUID();
  const known = type in eventVersions;
  const headers = known
    ? eventHeaders(type as EventType, { aggregateId, sequence: options.sequence ?? 1 })
    : { [EventHeader.aggregateId]: aggregateId };
  if (options.version !== undefined) headers[EventHeader.version] = options.version;
  await publisher.publish(
    buildMessage({
      exchange: topology.exchanges.events,
      routingKey: type,
      type,
      payload,
      messageId,
      correlationId: options.sagaId ?? randomUUID(),
      headers: { ...headers, ...options.headers },
    }),
  );
  return messageId;
}

/**
 * Publishes `events` as the workers do: the events of one round in one event-batch message (see
 * `batchEvents`), and waits for the confirm. Returns each event's message id, in order.
 */
export async function publishEventBatch(
  publisher: ConfirmPublisher,
  topology: Topology,
  events: readonly { type: string; payload: unknown; sequence?: number; version?: number }[],
): Promise<string[]> {
  const messages = events.map((e) => {
    const aggregateId = (e.payload as { orderId?: string }).orderId ?? randomUUID();
    const headers =
      e.type in eventVersions
        ? eventHeaders(e.type as EventType, { aggregateId, sequence: e.sequence ?? 1 })
        : { [EventHeader.aggregateId]: aggregateId };
    if (e.version !== undefined) headers[EventHeader.version] = e.version;
    return buildMessage({
      exchange: topology.exchanges.events,
      routingKey: e.type,
      type: e.type,
      payload: e.payload,
      correlationId: randomUUID(),
      headers,
    });
  });
  const batches = batchEvents(topology, messages, new Map());
  if (batches.length !== 1) throw new Error(`expected one batch message, got ${batches.length}`);
  await publisher.publish(batches[0]!);
  return messages.map((m) => m.properties.messageId);
}

/** A `payment.charged` event body at version 2, or version 1 with `v1`. */
export function charged(orderId: string, cents: number, v1 = false): unknown {
  return v1
    ? { orderId, chargeId: randomUUID(), amountCents: cents, currency: 'EUR' }
    : { orderId, chargeId: randomUUID(), amount: { cents, currency: 'EUR' } };
}

/** Creates the table the recording projection writes to: one row per applied event (no unique key: a double apply shows). */
export async function createRecordTable(sql: postgres.Sql, table: string): Promise<void> {
  await sql.unsafe(
    `create table ${table} (stream_offset bigint not null, event_type text not null, cents bigint)`,
  );
}

/**
 * A projection that records every event it applies; `slowMs` holds each batch's transaction
 * open that long (a crash lands inside it), `failOn` throws for an order id.
 */
export function recordingProjection(
  name: string,
  table: string,
  options: { slowMs?: number; failOn?: string } = {},
): Projection {
  return {
    name,
    async apply(tx, events, commit) {
      if (events.length === 0) return;
      if (options.failOn && events.some((e) => e.event.payload.orderId === options.failOn)) {
        throw new Error(`cannot apply order ${options.failOn}`);
      }
      const rows = events.map((e) => ({
        stream_offset: e.offset,
        event_type: e.event.type,
        cents:
          e.event.type === 'payment.charged'
            ? (e.event.payload as { amount: { cents: number } }).amount.cents
            : null,
      }));
      const insert = tx
        .unsafe(
          `insert into ${table} (stream_offset, event_type, cents) select * from jsonb_to_recordset($1::jsonb) as r(stream_offset bigint, event_type text, cents bigint)`,
          [JSON.stringify(rows)],
        )
        .execute();
      if (options.slowMs) await Promise.all([insert, tx`select pg_sleep(${options.slowMs / 1000})`]);
      // The write and the runner's COMMIT in one round trip, as the product's projections send them.
      await Promise.all([insert, commit?.()]);
    },
  };
}

/**
 * A rebuildable recording projection: it declares its table (with an index besides the key, so a
 * swap must carry index names over) and writes the same rows into a rebuild's shadow.
 */
export function rebuildableProjection(
  name: string,
  table: string,
  options: { slowMs?: number } = {},
): Projection {
  const into = (target: string): Projection => ({
    ...recordingProjection(name, target, options),
    tables: [table],
    retarget: (shadow) => into(shadow(table)),
  });
  return into(table);
}

/** Creates the rebuildable projection's table: a key and a second index. */
export async function createIndexedRecordTable(sql: postgres.Sql, table: string): Promise<void> {
  await sql.unsafe(
    `create table ${table} (id bigint generated always as identity primary key, stream_offset bigint not null,
       event_type text not null, cents bigint)`,
  );
  await sql.unsafe(`create index ${table.split('.')[1]}_type_idx on ${table} (event_type, stream_offset)`);
}
