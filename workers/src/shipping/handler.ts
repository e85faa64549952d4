// The shipping worker's commands: schedule a shipment (supported countries only) and cancel it.
import type { CommandHandlers } from '../runtime/command-handler.js';
import { cancelShipment, reinstateShipment, scheduleShipment, withdrawShipment } from './shipments.js';

/**
 * Handlers of `shipping.*` commands; `shippingCountries` are the ISO codes shipping serves, and a
 * parcel leaves `shippingDispatchDelayMs` after it is scheduled. A shipment's events:
 * shipment.scheduled (sequence 1), then shipment.cancelled (2).
 */
export function shippingHandlers(settings: {
  shippingCountries: readonly string[];
  shippingDispatchDelayMs: number;
}): CommandHandlers<'shipping'> {
  const countries = new Set(settings.shippingCountries);
  return {
    'shipping.schedule': async ({ sql, sagaId, payload, emit }) => {
      const { orderId, address } = payload;
      const shipment = await scheduleShipment(sql, {
        sagaId,
        orderId,
        address,
        countries,
        dispatchDelayMs: settings.shippingDispatchDelayMs,
      });
      await emit(
        'shipment.scheduled',
        { orderId, shipmentId: shipment.shipmentId, country: address.country },
        1,
      );
      return shipment;
    },
    'shipping.cancel': async ({ sql, sagaId, payload, emit }) => {
      if (await cancelShipment(sql, sagaId))
        await emit('shipment.cancelled', { orderId: payload.orderId }, 2);
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
