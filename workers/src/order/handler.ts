// The order worker's commands: create (raises order.placed), confirm (order.confirmed) and cancel (order.cancelled).
import type { CommandHandlers } from '../runtime/command-handler.js';
import { cancelOrder, confirmOrder, createOrder, revokeOrder } from './orders.js';

/**
 * Handlers of `order.*` commands. An order's events: placed (sequence 1), then confirmed or
 * cancelled (2); a confirmed order revoked by the cancellation saga: cancelled (3).
 */
export const orderHandlers: CommandHandlers<'order'> = {
  'order.create': async ({ sql, sagaId, payload, emit }) => {
    const result = await createOrder(sql, sagaId, payload);
    const { orderId, customerId, items, totalCents, currency } = payload;
    await emit('order.placed', { orderId, customerId, items, totalCents, currency }, 1);
    return result;
  },
  'order.confirm': async ({ sql, payload, emit }) => {
    if (await confirmOrder(sql, payload.orderId))
      await emit('order.confirmed', { orderId: payload.orderId }, 2);
    return {};
  },
  'order.cancel': async ({ sql, payload, emit }) => {
    if (await cancelOrder(sql, payload.orderId, payload.reason)) {
      await emit('order.cancelled', { orderId: payload.orderId, reason: payload.reason }, 2);
    }
    return {};
  },
  'order.revoke': async ({ sql, payload, emit }) => {
    if (await revokeOrder(sql, payload.orderId, payload.reason)) {
      // After placed (1) and confirmed (2).
      await emit('order.cancelled', { orderId: payload.orderId, reason: payload.reason }, 3);
    }
    return {};
  },
};
