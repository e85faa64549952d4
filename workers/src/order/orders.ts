// The order worker's domain: an order is created, then confirmed or cancelled, never both.
import { orders, type DbExecutor } from '@sagaport/db';
import { BusinessRefusal, type OrderCreate } from '@sagaport/rabbitmq';
import { eq, sql } from 'drizzle-orm';

/** Lifecycle of an order: created → confirmed, or created → cancelled. */
export const OrderStatus = {
  created: 'created',
  confirmed: 'confirmed',
  cancelled: 'cancelled',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

/**
 * Records the saga's order. Idempotent on the saga: a saga that already has an order gets its
 * id back. An order id taken by another saga is refused (`order_exists`).
 */
export async function createOrder(
  tx: DbExecutor,
  sagaId: string,
  order: OrderCreate,
): Promise<{ orderId: string }> {
  await tx
    .insert(orders)
    .values({
      id: order.orderId,
      sagaId,
      customerId: order.customerId,
      email: order.email,
      items: order.items,
      totalCents: order.totalCents,
      currency: order.currency,
      shippingAddress: order.shippingAddress,
      status: OrderStatus.created,
    })
    .onConflictDoNothing();
  const [existing] = await tx.select({ id: orders.id }).from(orders).where(eq(orders.sagaId, sagaId));
  if (!existing) {
    throw new BusinessRefusal('order_exists', `order ${order.orderId} belongs to another checkout`);
  }
  return { orderId: existing.id };
}

async function lockOrder(tx: DbExecutor, orderId: string) {
  const [order] = await tx
    .select({ status: orders.status })
    .from(orders)
    .where(eq(orders.id, orderId))
    .for('update');
  return order;
}

/**
 * Confirms a created order; returns whether it changed (a confirmed order stays as it is).
 * Refuses an unknown order (`order_not_found`) and a cancelled one (`order_cancelled`).
 */
export async function confirmOrder(tx: DbExecutor, orderId: string): Promise<boolean> {
  const order = await lockOrder(tx, orderId);
  if (!order) throw new BusinessRefusal('order_not_found', `order ${orderId} does not exist`);
  if (order.status === OrderStatus.confirmed) return false;
  if (order.status === OrderStatus.cancelled) {
    throw new BusinessRefusal('order_cancelled', `order ${orderId} is cancelled and cannot be confirmed`);
  }
  await tx
    .update(orders)
    .set({ status: OrderStatus.confirmed, updatedAt: sql`now()` })
    .where(eq(orders.id, orderId));
  return true;
}

/**
 * Cancels an order with `reason`; returns whether it changed. A missing or already cancelled
 * order needs no cancelling. A confirmed order is refused (`order_confirmed`): its stock is
 * committed and an operator must decide, so the saga's compensation fails loudly.
 */
export async function cancelOrder(tx: DbExecutor, orderId: string, reason: string): Promise<boolean> {
  const order = await lockOrder(tx, orderId);
  if (!order || order.status === OrderStatus.cancelled) return false;
  if (order.status === OrderStatus.confirmed) {
    throw new BusinessRefusal(
      'order_confirmed',
      `order ${orderId} is already confirmed and cannot be cancelled`,
    );
  }
  await tx
    .update(orders)
    .set({ status: OrderStatus.cancelled, cancelReason: reason, updatedAt: sql`now()` })
    .where(eq(orders.id, orderId));
  return true;
}
