// Domain event contracts, published to the events exchange (and its replayable stream).
import { z } from 'zod';
import { Cents, Currency, FailureReason, OrderId, OrderLine, PricedOrderLine } from './common.js';

export const OrderPlaced = z.strictObject({
  orderId: OrderId,
  customerId: z.string().min(1).max(100),
  items: z.array(PricedOrderLine).min(1).max(100),
  totalCents: Cents,
  currency: Currency,
});
export type OrderPlaced = z.infer<typeof OrderPlaced>;

export const OrderConfirmed = z.strictObject({ orderId: OrderId });
export type OrderConfirmed = z.infer<typeof OrderConfirmed>;

export const OrderCancelled = z.strictObject({ orderId: OrderId, reason: z.string().max(2000) });
export type OrderCancelled = z.infer<typeof OrderCancelled>;

export const StockReserved = z.strictObject({
  orderId: OrderId,
  reservationId: z.uuid(),
  lines: z.array(OrderLine).min(1).max(100),
  expiresAt: z.iso.datetime({ offset: true }),
});
export type StockReserved = z.infer<typeof StockReserved>;

/** Released by the saga's compensation, committed by the confirmed order, expired by the sweeper. */
export const StockReleased = z.strictObject({ orderId: OrderId });
export type StockReleased = z.infer<typeof StockReleased>;
export const StockCommitted = z.strictObject({ orderId: OrderId });
export type StockCommitted = z.infer<typeof StockCommitted>;
export const StockExpired = z.strictObject({ orderId: OrderId });
export type StockExpired = z.infer<typeof StockExpired>;
/** A confirmed order's committed stock put back on sale by its cancellation: `units` in all. */
export const StockReturned = z.strictObject({ orderId: OrderId, units: z.number().int().nonnegative() });
export type StockReturned = z.infer<typeof StockReturned>;

/** Version 1 of `payment.charged`: the amount as two flat fields. Still in the stream; upcast on read. */
export const PaymentChargedV1 = z.strictObject({
  orderId: OrderId,
  chargeId: z.uuid(),
  amountCents: Cents,
  currency: Currency,
});
export type PaymentChargedV1 = z.infer<typeof PaymentChargedV1>;

/** Version 2 of `payment.charged`: the amount as one money value. */
export const PaymentCharged = z.strictObject({
  orderId: OrderId,
  chargeId: z.uuid(),
  amount: z.strictObject({ cents: Cents, currency: Currency }),
});
export type PaymentCharged = z.infer<typeof PaymentCharged>;

export const PaymentDeclined = z.strictObject({
  orderId: OrderId,
  amountCents: Cents,
  currency: Currency,
  reason: FailureReason,
});
export type PaymentDeclined = z.infer<typeof PaymentDeclined>;

export const PaymentRefunded = z.strictObject({ orderId: OrderId, refundId: z.uuid(), amountCents: Cents });
export type PaymentRefunded = z.infer<typeof PaymentRefunded>;

export const ShipmentScheduled = z.strictObject({
  orderId: OrderId,
  shipmentId: z.uuid(),
  country: z.string().regex(/^[A-Z]{2}$/),
});
export type ShipmentScheduled = z.infer<typeof ShipmentScheduled>;

/** Cancelled by the checkout's compensation, or withdrawn by the order's cancellation. */
export const ShipmentCancelled = z.strictObject({ orderId: OrderId });
export type ShipmentCancelled = z.infer<typeof ShipmentCancelled>;

/** Scheduled again: the cancellation that withdrew it was compensated. */
export const ShipmentReinstated = z.strictObject({ orderId: OrderId });
export type ShipmentReinstated = z.infer<typeof ShipmentReinstated>;

/** Every domain event at its current version, by message type (also its routing key on the events exchange). */
export const eventContracts = {
  'order.placed': OrderPlaced,
  'order.confirmed': OrderConfirmed,
  'order.cancelled': OrderCancelled,
  'stock.reserved': StockReserved,
  'stock.released': StockReleased,
  'stock.committed': StockCommitted,
  'stock.expired': StockExpired,
  'stock.returned': StockReturned,
  'payment.charged': PaymentCharged,
  'payment.declined': PaymentDeclined,
  'payment.refunded': PaymentRefunded,
  'shipment.scheduled': ShipmentScheduled,
  'shipment.cancelled': ShipmentCancelled,
  'shipment.reinstated': ShipmentReinstated,
} as const;

export type EventType = keyof typeof eventContracts;
export type EventPayload<E extends EventType> = z.infer<(typeof eventContracts)[E]>;

/** The events the inventory consumes (its `inventory.order-events` queue is bound to these only). */
export const inventoryOrderEventTypes = ['order.confirmed', 'order.cancelled'] as const;

/**
 * Each event type's versions and how an older version becomes the next one. Producers always
 * write the current version (`eventVersions[type]`); readers upcast what they find.
 */
const upcasters: { readonly [E in EventType]?: Readonly<Record<number, (payload: unknown) => unknown>> } = {
  'payment.charged': {
    1: (payload) => {
      const v1 = PaymentChargedV1.parse(payload);
      return {
        orderId: v1.orderId,
        chargeId: v1.chargeId,
        amount: { cents: v1.amountCents, currency: v1.currency },
      };
    },
  },
};

/** The current version of each event type; 1 unless an upcaster names older ones. */
export const eventVersions: { readonly [E in EventType]: number } = Object.fromEntries(
  Object.keys(eventContracts).map((type) => {
    const older = Object.keys(upcasters[type as EventType] ?? {}).map(Number);
    return [type, older.length === 0 ? 1 : Math.max(...older) + 1];
  }),
) as { [E in EventType]: number };

/** Whose fact an event is: the part of its type before the dot (`order`, `stock`, `payment`, `shipment`). */
export type AggregateType = 'order' | 'stock' | 'payment' | 'shipment';

export function aggregateTypeOf(type: EventType): AggregateType {
  return type.slice(0, type.indexOf('.')) as AggregateType;
}

/** Header names of an event's metadata (besides the envelope's: message id, type, saga id as correlation id, timestamp). */
export const EventHeader = {
  version: 'x-event-version',
  aggregateType: 'x-aggregate-type',
  aggregateId: 'x-aggregate-id',
  sequence: 'x-aggregate-sequence',
  occurredAt: 'x-occurred-at',
} as const;

/** An event's metadata as its headers carry it. */
export const EventMetadataHeaders = z.object({
  [EventHeader.version]: z.number().int().positive(),
  [EventHeader.aggregateType]: z.enum(['order', 'stock', 'payment', 'shipment']),
  [EventHeader.aggregateId]: z.uuid(),
  [EventHeader.sequence]: z.number().int().positive(),
  [EventHeader.occurredAt]: z.iso.datetime({ offset: true }),
});

/** An event's id (its message id). Built once: building a zod schema is far dearer than using it. */
const EventId = z.uuid();

/** The metadata a producer gives an event: the rest (version, aggregate type, time) is derived. */
export interface EventMetadata {
  readonly aggregateId: string;
  /** Position of the event in its aggregate's life, from 1. */
  readonly sequence: number;
}

/** The headers of event `type` at its current version. */
export function eventHeaders(
  type: EventType,
  metadata: EventMetadata,
  occurredAt = new Date(),
): Record<string, unknown> {
  return {
    [EventHeader.version]: eventVersions[type],
    [EventHeader.aggregateType]: aggregateTypeOf(type),
    [EventHeader.aggregateId]: metadata.aggregateId,
    [EventHeader.sequence]: metadata.sequence,
    [EventHeader.occurredAt]: occurredAt.toISOString(),
  };
}

/** A domain event as readers see it: metadata and the payload upcast to the current version. */
export interface DomainEvent<E extends EventType = EventType> {
  readonly eventId: string;
  readonly type: E;
  /** The version it was written with (the payload is always at the current version). */
  readonly writtenVersion: number;
  readonly aggregateType: AggregateType;
  readonly aggregateId: string;
  readonly sequence: number;
  readonly sagaId: string | null;
  readonly occurredAt: Date;
  readonly payload: EventPayload<E>;
}

/** What a stored or delivered event consists of. */
export interface RawEvent {
  readonly messageId: unknown;
  readonly type: unknown;
  readonly correlationId?: unknown;
  readonly headers: Record<string, unknown>;
  readonly body: unknown;
}

/** An event that cannot be read: its reason names the field at fault. */
export class EventContractError extends Error {
  override readonly name = 'EventContractError';
}

/**
 * Reads an event: checks its metadata, upcasts an older version's payload to the current
 * version and checks the result against the current contract. Throws EventContractError naming
 * what is wrong (an unknown type or version, a missing header, a field breaking its contract).
 */
export function readEvent(raw: RawEvent): DomainEvent {
  const type = raw.type;
  if (typeof type !== 'string' || !Object.hasOwn(eventContracts, type)) {
    throw new EventContractError(`unknown event type ${JSON.stringify(type ?? null)}`);
  }
  const eventType = type as EventType;
  const eventId = EventId.safeParse(raw.messageId);
  if (!eventId.success) throw new EventContractError(`${type}: properties.messageId: not a uuid`);
  const meta = EventMetadataHeaders.safeParse(raw.headers);
  if (!meta.success) throw new EventContractError(`${type}: ${issuesOf(meta.error, 'headers')}`);
  const version = meta.data[EventHeader.version];
  const current = eventVersions[eventType];
  if (version > current)
    throw new EventContractError(
      `${type}: headers.${EventHeader.version}: version ${version} is newer than ${current}`,
    );
  if (meta.data[EventHeader.aggregateType] !== aggregateTypeOf(eventType)) {
    throw new EventContractError(
      `${type}: headers.${EventHeader.aggregateType}: not ${aggregateTypeOf(eventType)}`,
    );
  }
  let body = raw.body;
  try {
    for (let v = version; v < current; v += 1) body = upcasters[eventType]![v]!(body);
  } catch (error) {
    if (error instanceof z.ZodError)
      throw new EventContractError(`${type} v${version}: ${issuesOf(error, 'payload')}`);
    throw error;
  }
  const payload = eventContracts[eventType].safeParse(body);
  if (!payload.success)
    throw new EventContractError(`${type} v${version}: ${issuesOf(payload.error, 'payload')}`);
  const sagaId = typeof raw.correlationId === 'string' ? raw.correlationId : null;
  return {
    eventId: eventId.data,
    type: eventType,
    writtenVersion: version,
    aggregateType: meta.data[EventHeader.aggregateType],
    aggregateId: meta.data[EventHeader.aggregateId],
    sequence: meta.data[EventHeader.sequence],
    sagaId,
    occurredAt: new Date(meta.data[EventHeader.occurredAt]),
    payload: payload.data,
  };
}

function issuesOf(error: z.ZodError, root: string): string {
  return error.issues
    .map((issue) => `${[root, ...issue.path.map(String)].join('.')}: ${issue.message}`)
    .join('; ');
}
