// The order worker's commands: create, confirm (raises order.confirmed) and cancel (raises order.cancelled).
import type { CommandHandlers } from '../runtime/command-handler.js';
import { cancelOrder, confirmOrder, createOrder, revokeOrder } from './orders.js';

/** Handlers of `order.*` commands. */
export const orderHandlers: CommandHandlers<'order'> = {
  'order.create': ({ sql, sagaId, payload }) => createOrder(sql, sagaId, payload),
  'order.confirm': async ({ sql, payload, emit }) => {
    if (await confirmOrder(sql, payload.orderId)) await emit('order.confirmed', { orderId: payload.orderId });
    return {};
  },
  'order.cancel': async ({ sql, payload, emit }) => {
    if (await cancelOrder(sql, payload.orderId, payload.reason)) {
      await emit('order.cancelled', { orderId: payload.orderId, reason: payload.reason });
    }
    return {};
  },
  'order.revoke': async ({ sql, payload, emit }) => {
    if (await revokeOrder(sql, payload.orderId, payload.reason)) {
      await emit('order.cancelled', { orderId: payload.orderId, reason: payload.reason });
    }
    return {};
  },
};
