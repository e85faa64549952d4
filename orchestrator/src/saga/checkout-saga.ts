// The checkout saga as data: its steps in order, each with its command, compensation and result mapping.
import type { CommandPayload, CommandType } from '@sagaport/rabbitmq';
import type { CheckoutData } from './types.js';

/** One step: a command to a worker, what to do with its result, and how to undo it. */
export interface StepDefinition {
  readonly name: string;
  readonly command: CommandType;
  build(data: CheckoutData): unknown;
  /** Folds the step's `succeeded` result into the saga's data. */
  onSuccess?(data: CheckoutData, result: Record<string, unknown>): CheckoutData;
  readonly compensation?: { readonly command: CommandType; build(data: CheckoutData): unknown };
}

export interface SagaDefinition {
  readonly name: string;
  readonly steps: readonly StepDefinition[];
}

const lines = (data: CheckoutData) => data.items.map(({ sku, quantity }) => ({ sku, quantity }));

/** The checkout saga (docs/architecture.md): create order, reserve stock, charge, schedule shipping, confirm the order. */
export const checkoutSaga: SagaDefinition = {
  name: 'checkout',
  steps: [
    {
      name: 'createOrder',
      command: 'order.create',
      build: (d): CommandPayload<'order.create'> => ({
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
        build: (d): CommandPayload<'order.cancel'> => ({
          orderId: d.orderId,
          reason: 'checkout compensated',
        }),
      },
    },
    {
      name: 'reserveStock',
      command: 'inventory.reserve',
      build: (d): CommandPayload<'inventory.reserve'> => ({ orderId: d.orderId, items: lines(d) }),
      onSuccess: (d, r) => ({ ...d, reservationId: r.reservationId as string }),
      compensation: {
        command: 'inventory.release',
        build: (d): CommandPayload<'inventory.release'> => ({ orderId: d.orderId }),
      },
    },
    {
      name: 'chargePayment',
      command: 'payment.charge',
      build: (d): CommandPayload<'payment.charge'> => ({
        orderId: d.orderId,
        amountCents: d.totalCents,
        currency: d.currency,
        paymentToken: d.paymentToken,
      }),
      onSuccess: (d, r) => ({ ...d, chargeId: r.chargeId as string }),
      compensation: {
        command: 'payment.refund',
        build: (d): CommandPayload<'payment.refund'> => ({
          orderId: d.orderId,
          amountCents: d.totalCents,
          currency: d.currency,
        }),
      },
    },
    {
      name: 'scheduleShipping',
      command: 'shipping.schedule',
      build: (d): CommandPayload<'shipping.schedule'> => ({
        orderId: d.orderId,
        address: d.shippingAddress,
        items: lines(d),
      }),
      onSuccess: (d, r) => ({ ...d, shipmentId: r.shipmentId as string }),
      compensation: {
        command: 'shipping.cancel',
        build: (d): CommandPayload<'shipping.cancel'> => ({ orderId: d.orderId }),
      },
    },
    {
      name: 'confirmOrder',
      command: 'order.confirm',
      build: (d): CommandPayload<'order.confirm'> => ({ orderId: d.orderId }),
    },
  ],
};
