// Domain event contracts, published to the events exchange (and its replayable stream).
import { z } from 'zod';
import { OrderId } from './common.js';

export const OrderConfirmed = z.strictObject({ orderId: OrderId });
export type OrderConfirmed = z.infer<typeof OrderConfirmed>;

export const OrderCancelled = z.strictObject({ orderId: OrderId, reason: z.string().max(2000) });
export type OrderCancelled = z.infer<typeof OrderCancelled>;

/** Every domain event, by message type (also its routing key on the events exchange). */
export const eventContracts = {
  'order.confirmed': OrderConfirmed,
  'order.cancelled': OrderCancelled,
} as const;

export type EventType = keyof typeof eventContracts;
