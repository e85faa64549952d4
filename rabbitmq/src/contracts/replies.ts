// Reply contracts: every command has a `<command>.reply` that either succeeded (with a result) or failed.
import { z } from 'zod';
import type { CommandType } from './commands.js';
import { Cents, FailureReason, OrderId } from './common.js';

/** A reply schema: succeeded with `result`, or failed (a business refusal) with `reason`. */
function replyOf<R extends z.ZodType>(result: R) {
  return z.discriminatedUnion('outcome', [
    z.strictObject({ outcome: z.literal('succeeded'), result }),
    z.strictObject({ outcome: z.literal('failed'), reason: FailureReason }),
  ]);
}

const Empty = z.strictObject({});

export const OrderCreateReply = replyOf(z.strictObject({ orderId: OrderId }));
export const InventoryReserveReply = replyOf(
  z.strictObject({ reservationId: z.uuid(), expiresAt: z.iso.datetime({ offset: true }) }),
);
export const PaymentChargeReply = replyOf(z.strictObject({ chargeId: z.uuid(), amountCents: Cents }));
/** `refundId` is null when the saga was never charged: nothing to refund is a successful refund. */
export const PaymentRefundReply = replyOf(
  z.strictObject({ refundId: z.uuid().nullable(), amountCents: Cents }),
);
export const ShippingScheduleReply = replyOf(z.strictObject({ shipmentId: z.uuid() }));
/** How many units went back on sale (0 when the order had no sold stock, or it was returned already). */
export const InventoryRestockReply = replyOf(z.strictObject({ units: z.number().int().nonnegative() }));
export const PaymentReimburseReply = replyOf(z.strictObject({ refundId: z.uuid(), amountCents: Cents }));
export const ShippingWithdrawReply = replyOf(z.strictObject({ shipmentId: z.uuid() }));

/** Every reply, by message type. */
export const replyContracts = {
  'order.create.reply': OrderCreateReply,
  'order.confirm.reply': replyOf(Empty),
  'order.cancel.reply': replyOf(Empty),
  'inventory.reserve.reply': InventoryReserveReply,
  'inventory.release.reply': replyOf(Empty),
  'payment.charge.reply': PaymentChargeReply,
  'payment.refund.reply': PaymentRefundReply,
  'shipping.schedule.reply': ShippingScheduleReply,
  'shipping.cancel.reply': replyOf(Empty),
  'order.revoke.reply': replyOf(Empty),
  'inventory.restock.reply': InventoryRestockReply,
  'payment.reimburse.reply': PaymentReimburseReply,
  'shipping.withdraw.reply': ShippingWithdrawReply,
  'shipping.reinstate.reply': replyOf(Empty),
} as const satisfies { [K in CommandType as `${K}.reply`]: z.ZodType };

export type ReplyType = keyof typeof replyContracts;
export type ReplyPayload<T extends ReplyType> = z.infer<(typeof replyContracts)[T]>;

/** The reply type of a command type. */
export function replyTypeOf<T extends CommandType>(type: T): `${T}.reply` {
  return `${type}.reply`;
}

/** The `result` of a command's succeeded reply: what a saga step folds into its data. */
export type CommandResult<T extends CommandType> = Extract<
  ReplyPayload<`${T}.reply`>,
  { outcome: 'succeeded' }
>['result'];
