// The shipping worker's commands: schedule a shipment (supported countries only) and cancel it.
import type { CommandHandlers } from '../runtime/command-handler.js';
import { cancelShipment, scheduleShipment } from './shipments.js';

/** Handlers of `shipping.*` commands; `countries` are the ISO codes shipping serves. */
export function shippingHandlers(settings: {
  shippingCountries: readonly string[];
}): CommandHandlers<'shipping'> {
  const countries = new Set(settings.shippingCountries);
  return {
    'shipping.schedule': ({ sql, sagaId, payload }) =>
      scheduleShipment(sql, { sagaId, orderId: payload.orderId, address: payload.address, countries }),
    'shipping.cancel': async ({ sql, sagaId }) => {
      await cancelShipment(sql, sagaId);
      return {};
    },
  };
}
