// The shipping worker's commands: schedule a shipment (supported countries only) and cancel it.
import type { CommandHandlers } from '../runtime/command-handler.js';
import { cancelShipment, reinstateShipment, scheduleShipment, withdrawShipment } from './shipments.js';

/**
 * Handlers of `shipping.*` commands; `shippingCountries` are the ISO codes shipping serves, and a
 * parcel leaves `shippingDispatchDelayMs` after it is scheduled. A shipment's events:
 * shipment.scheduled (sequence 1), then shipment.cancelled (2) by the checkout's compensation; or,
 * withdrawn by an order cancellation, shipment.cancelled, and shipment.reinstated when that
 * cancellation compensates, each one more than the last (the row's `event_sequence`).
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
      const sequence = await cancelShipment(sql, sagaId);
      if (sequence !== null) await emit('shipment.cancelled', { orderId: payload.orderId }, sequence);
      return {};
    },
    'shipping.withdraw': async ({ sql, sagaId, payload, emit }) => {
      const { shipmentId, sequence } = await withdrawShipment(sql, {
        sagaId,
        checkoutSagaId: payload.checkoutSagaId,
        orderId: payload.orderId,
      });
      if (sequence !== null) await emit('shipment.cancelled', { orderId: payload.orderId }, sequence);
      return { shipmentId };
    },
    'shipping.reinstate': async ({ sql, sagaId, payload, emit }) => {
      const sequence = await reinstateShipment(sql, { sagaId, checkoutSagaId: payload.checkoutSagaId });
      if (sequence !== null) await emit('shipment.reinstated', { orderId: payload.orderId }, sequence);
      return {};
    },
  };
}
