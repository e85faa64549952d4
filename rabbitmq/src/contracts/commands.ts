// Command contracts of the sagas (checkout, order cancellation): one zod schema per command.
import { z } from 'zod';
import { Address, Cents, Currency, OrderId, OrderLine, PricedOrderLine } from './common.js';

export const OrderCreate = z.strictObject({
  orderId: OrderId,
  customerId: z.string().min(1).max(100),
  email: z.email().max(320),
  items: z.array(PricedOrderLine).min(1).max(100),
  currency: Currency,
  totalCents: Cents,
  shippingAddress: Address,
});
export type OrderCreate = z.infer<typeof OrderCreate>;

export const OrderConfirm = z.strictObject({ orderId: OrderId });
export type OrderConfirm = z.infer<typeof OrderConfirm>;

export const OrderCancel = z.strictObject({ orderId: OrderId, reason: z.string().max(2000) });
export type OrderCancel = z.infer<typeof OrderCancel>;

export const InventoryReserve = z.strictObject({
  orderId: OrderId,
  items: z.array(OrderLine).min(1).max(100),
});
export type InventoryReserve = z.infer<typeof InventoryReserve>;

export const InventoryRelease = z.strictObject({ orderId: OrderId });
export type InventoryRelease = z.infer<typeof InventoryRelease>;

export const PaymentCharge = z.strictObject({
  orderId: OrderId,
  amountCents: Cents,
  currency: Currency,
  paymentToken: z.string().min(1).max(200),
});
export type PaymentCharge = z.infer<typeof PaymentCharge>;

export const PaymentRefund = z.strictObject({ orderId: OrderId, amountCents: Cents, currency: Currency });
export type PaymentRefund = z.infer<typeof PaymentRefund>;

export const ShippingSchedule = z.strictObject({
  orderId: OrderId,
  address: Address,
  items: z.array(OrderLine).min(1).max(100),
});
export type ShippingSchedule = z.infer<typeof ShippingSchedule>;

export const ShippingCancel = z.strictObject({ orderId: OrderId });
export type ShippingCancel = z.infer<typeof ShippingCancel>;

/** Cancels a confirmed order (the order-cancellation saga's last step); raises order.cancelled. */
export const OrderRevoke = z.strictObject({ orderId: OrderId, reason: z.string().max(2000) });
export type OrderRevoke = z.infer<typeof OrderRevoke>;

/** Puts a confirmed order's sold stock back on sale, once. */
export const InventoryRestock = z.strictObject({ orderId: OrderId });
export type InventoryRestock = z.infer<typeof InventoryRestock>;

/**
 * Refunds the charge of an order, once. `checkoutSagaId` is the saga that charged it: the payment
 * worker keeps charges by saga, so the refund finds the charge by its unique key.
 */
export const PaymentReimburse = z.strictObject({
  orderId: OrderId,
  checkoutSagaId: z.uuid(),
  amountCents: Cents,
  currency: Currency,
});
export type PaymentReimburse = z.infer<typeof PaymentReimburse>;

/** Withdraws an order's shipment (scheduled by the checkout `checkoutSagaId`) before it ships; refused once it has shipped. */
export const ShippingWithdraw = z.strictObject({ orderId: OrderId, checkoutSagaId: z.uuid() });
export type ShippingWithdraw = z.infer<typeof ShippingWithdraw>;

/** Undoes a withdrawal: the shipment is scheduled again (the compensation of `shipping.withdraw`). */
export const ShippingReinstate = z.strictObject({ orderId: OrderId, checkoutSagaId: z.uuid() });
export type ShippingReinstate = z.infer<typeof ShippingReinstate>;

/** Every command, by message type; the worker is the part before the dot. */
export const commandContracts = {
  'order.create': OrderCreate,
  'order.confirm': OrderConfirm,
  'order.cancel': OrderCancel,
  'inventory.reserve': InventoryReserve,
  'inventory.release': InventoryRelease,
  'payment.charge': PaymentCharge,
  'payment.refund': PaymentRefund,
  'shipping.schedule': ShippingSchedule,
  'shipping.cancel': ShippingCancel,
  'order.revoke': OrderRevoke,
  'inventory.restock': InventoryRestock,
  'payment.reimburse': PaymentReimburse,
  'shipping.withdraw': ShippingWithdraw,
  'shipping.reinstate': ShippingReinstate,
} as const;

export type CommandType = keyof typeof commandContracts;
export type CommandPayload<T extends CommandType> = z.infer<(typeof commandContracts)[T]>;

export const CommandType = Object.fromEntries(Object.keys(commandContracts).map((t) => [t, t])) as {
  readonly [K in CommandType]: K;
};

/** The workers, each consuming its own command queue. */
export const Worker = {
  order: 'order',
  inventory: 'inventory',
  payment: 'payment',
  shipping: 'shipping',
} as const;
export type Worker = (typeof Worker)[keyof typeof Worker];

/** The worker that handles a command type. */
export function workerOf(type: CommandType): Worker {
  return type.slice(0, type.indexOf('.')) as Worker;
}
