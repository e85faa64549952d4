// The shipping worker's commands: schedule a shipment (supported countries only) and cancel it.
import type { CommandHandlers } from '../runtime/command-handler.js';
import { cancelShipment, reinstateShipment, scheduleShipment, withdrawShipment } from './shipments.js';

/**
 * Handlers of `shipping.*` commands; `shippingCountries` are the ISO codes shipping serves, and a
 * parcel leaves `shippingDispatchDelayMs` after it is scheduled.
 */
export function shippingHandlers(settings: {
  shippingCountries: readonly string[];
  shippingDispatchDelayMs: number;
}): CommandHandlers<'shipping'> {
  const countries = new Set(settings.shippingCountries);
  return {
    'shipping.schedule': ({ sql, sagaId, payload }) =>
      scheduleShipment(sql, {
        sagaId,
        orderId: payload.orderId,
        address: payload.address,
        countries,
        dispatchDelayMs: settings.shippingDispatchDelayMs,
      }),
    'shipping.cancel': async ({ sql, sagaId }) => {
      await cancelShipment(sql, sagaId);
      return {};
    },
    'shipping.withdraw': ({ sql, sagaId, payload }) =>
      withdrawShipment(sql, { sagaId, checkoutSagaId: payload.checkoutSagaId, orderId: payload.orderId }),
    'shipping.reinstate': async ({ sql, sagaId, payload }) => {
      await reinstateShipment(sql, { sagaId, checkoutSagaId: payload.checkoutSagaId });
      return {};
    },
  };
}
