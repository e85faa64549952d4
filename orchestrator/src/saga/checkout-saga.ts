// The checkout saga as a definition: its data, its steps in order (command, result, compensation) and its business keys.
import { z } from 'zod';
import { defineSaga } from './definition.js';

/**
 * What the checkout saga knows: the request, and what each step produced. Validated by the API
 * before the saga starts, so reading it back checks shapes, not formats (ids are plain strings).
 */
export const CheckoutData = z.object({
  orderId: z.string(),
  customerId: z.string(),
  email: z.string(),
  items: z.array(z.object({ sku: z.string(), quantity: z.number(), unitPriceCents: z.number() })),
  currency: z.string(),
  totalCents: z.number(),
  shippingAddress: z.object({
    name: z.string(),
    line1: z.string(),
    line2: z.string().optional(),
    city: z.string(),
    postalCode: z.string(),
    country: z.string(),
  }),
  paymentToken: z.string(),
  reservationId: z.string().optional(),
  chargeId: z.string().optional(),
  shipmentId: z.string().optional(),
});
export type CheckoutData = z.infer<typeof CheckoutData>;

const lines = (data: CheckoutData) => data.items.map(({ sku, quantity }) => ({ sku, quantity }));

/** The checkout saga (docs/architecture.md): create the order and reserve its stock together, charge, schedule shipping, confirm the order. */
export const checkoutSaga = defineSaga({
  name: 'checkout',
  data: CheckoutData,
  keys: { orderId: (d) => d.orderId, customerId: (d) => d.customerId, email: (d) => d.email },
  steps: (step) => [
    step({
      name: 'createOrder',
      command: 'order.create',
      build: (d) => ({
        orderId: d.orderId,
        customerId: d.customerId,
        email: d.email,
        items: [...d.items],
        currency: d.currency,
        totalCents: d.totalCents,
        shippingAddress: d.shippingAddress,
      }),
      compensation: {
        command: 'order.cancel',
        build: (d) => ({ orderId: d.orderId, reason: 'checkout compensated' }),
      },
    }),
    step({
      name: 'reserveStock',
      command: 'inventory.reserve',
      // The hold needs nothing from the order: both are sent at once, a hop fewer per checkout.
      withPrevious: true,
      build: (d) => ({ orderId: d.orderId, items: lines(d) }),
      onSuccess: (d, r) => ({ ...d, reservationId: r.reservationId }),
      compensation: { command: 'inventory.release', build: (d) => ({ orderId: d.orderId }) },
    }),
    step({
      name: 'chargePayment',
      command: 'payment.charge',
      build: (d) => ({
        orderId: d.orderId,
        amountCents: d.totalCents,
        currency: d.currency,
        paymentToken: d.paymentToken,
      }),
      onSuccess: (d, r) => ({ ...d, chargeId: r.chargeId }),
      compensation: {
        command: 'payment.refund',
        build: (d) => ({ orderId: d.orderId, amountCents: d.totalCents, currency: d.currency }),
      },
    }),
    step({
      name: 'scheduleShipping',
      command: 'shipping.schedule',
      build: (d) => ({ orderId: d.orderId, address: d.shippingAddress, items: lines(d) }),
      onSuccess: (d, r) => ({ ...d, shipmentId: r.shipmentId }),
      compensation: { command: 'shipping.cancel', build: (d) => ({ orderId: d.orderId }) },
    }),
    step({
      name: 'confirmOrder',
      command: 'order.confirm',
      build: (d) => ({ orderId: d.orderId }),
    }),
  ],
});
