// The order-cancellation saga as a definition: withdraw the shipment, refund, return the stock, cancel the order.
import { z } from 'zod';
import { defineSaga } from './definition.js';

/** What the order-cancellation saga knows: the confirmed order (read from its checkout) and what each step produced. */
export const CancellationData = z.object({
  orderId: z.string(),
  /** The checkout saga that placed the order. */
  checkoutSagaId: z.string(),
  customerId: z.string(),
  email: z.string(),
  currency: z.string(),
  totalCents: z.number(),
  reason: z.string(),
  shipmentId: z.string().optional(),
  refundId: z.string().optional(),
  units: z.number().optional(),
});
export type CancellationData = z.infer<typeof CancellationData>;

/**
 * The order-cancellation saga. Withdrawing the shipment decides whether the cancellation may go
 * ahead: once the parcel has shipped it is refused and the saga ends `rejected` with the reason,
 * nothing changed. The refund is the point of no return (money sent back is not taken again),
 * so it is `irreversible`: a refused refund reinstates the shipment, but a step after it that is
 * refused or never answers stops the saga `failed` for an operator (retry-step resends it).
 */
export const cancellationSaga = defineSaga({
  name: 'order-cancellation',
  data: CancellationData,
  keys: {
    orderId: (d) => d.orderId,
    customerId: (d) => d.customerId,
    email: (d) => d.email,
    checkoutSagaId: (d) => d.checkoutSagaId,
  },
  steps: (step) => [
    step({
      name: 'withdrawShipment',
      command: 'shipping.withdraw',
      build: (d) => ({ orderId: d.orderId, checkoutSagaId: d.checkoutSagaId }),
      onSuccess: (d, r) => ({ ...d, shipmentId: r.shipmentId }),
      refusalRejects: true,
      compensation: {
        command: 'shipping.reinstate',
        build: (d) => ({ orderId: d.orderId, checkoutSagaId: d.checkoutSagaId }),
      },
    }),
    step({
      name: 'refundPayment',
      command: 'payment.reimburse',
      build: (d) => ({
        orderId: d.orderId,
        checkoutSagaId: d.checkoutSagaId,
        amountCents: d.totalCents,
        currency: d.currency,
      }),
      onSuccess: (d, r) => ({ ...d, refundId: r.refundId }),
      irreversible: true,
    }),
    step({
      name: 'returnStock',
      command: 'inventory.restock',
      build: (d) => ({ orderId: d.orderId }),
      onSuccess: (d, r) => ({ ...d, units: r.units }),
    }),
    step({
      name: 'cancelOrder',
      command: 'order.revoke',
      build: (d) => ({ orderId: d.orderId, reason: d.reason }),
    }),
  ],
});
