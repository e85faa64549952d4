// The order worker's domain: an order is created, then confirmed or cancelled, never both.
import { BusinessRefusal, type OrderCreate } from '@sagaport/rabbitmq';
import { jsonb, type WorkerSql } from '../runtime/sql.js';

/** Lifecycle of an order: created → confirmed, or created → cancelled, or confirmed → cancelled (an order cancellation). */
export const OrderStatus = {
  created: 'created',
  confirmed: 'confirmed',
  cancelled: 'cancelled',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

/**
 * Records the saga's order, in one statement. Idempotent on the saga: a saga that already has
 * an order gets its id back. An order id taken by another saga is refused (`order_exists`); the
 * statement then wrote nothing.
 */
export async function createOrder(
  sql: WorkerSql,
  sagaId: string,
  order: OrderCreate,
): Promise<{ orderId: string }> {
  const [row] = await sql<{ id: string | null }[]>`
    with created as (
      insert into orders.orders
        (id, saga_id, customer_id, email, items, total_cents, currency, shipping_address, status)
      values (${order.orderId}, ${sagaId}, ${order.customerId}, ${order.email}, ${jsonb(order.items)}::jsonb,
        ${order.totalCents}, ${order.currency}, ${jsonb(order.shippingAddress)}::jsonb, ${OrderStatus.created})
      on conflict do nothing
      returning id)
    select coalesce((select id from created), (select id from orders.orders where saga_id = ${sagaId})) as id`;
  if (!row?.id) {
    throw new BusinessRefusal('order_exists', `order ${order.orderId} belongs to another checkout`);
  }
  return { orderId: row.id };
}

/**
 * Moves a `created` order to `status` in one statement (locking the row) and returns the status
 * the order had before, or null when there is no such order.
 */
async function moveCreatedOrder(
  sql: WorkerSql,
  orderId: string,
  status: OrderStatus,
  cancelReason: string | null,
): Promise<OrderStatus | null> {
  const [row] = await sql<{ status: OrderStatus | null }[]>`
    with current as (select status from orders.orders where id = ${orderId} for update),
    moved as (
      update orders.orders set status = ${status}, cancel_reason = ${cancelReason}, updated_at = now()
      where id = ${orderId} and status = ${OrderStatus.created}
      returning 1)
    select (select status from current) as status`;
  return row?.status ?? null;
}

/**
 * Confirms a created order; returns whether it changed (a confirmed order stays as it is).
 * Refuses an unknown order (`order_not_found`) and a cancelled one (`order_cancelled`).
 */
export async function confirmOrder(sql: WorkerSql, orderId: string): Promise<boolean> {
  const before = await moveCreatedOrder(sql, orderId, OrderStatus.confirmed, null);
  if (before === null) throw new BusinessRefusal('order_not_found', `order ${orderId} does not exist`);
  if (before === OrderStatus.cancelled) {
    throw new BusinessRefusal('order_cancelled', `order ${orderId} is cancelled and cannot be confirmed`);
  }
  return before === OrderStatus.created;
}

/**
 * Cancels an order with `reason`; returns whether it changed. A missing or already cancelled
 * order needs no cancelling. A confirmed order is refused (`order_confirmed`): its stock is
 * committed and an operator must decide, so the saga's compensation fails loudly.
 */
export async function cancelOrder(sql: WorkerSql, orderId: string, reason: string): Promise<boolean> {
  const before = await moveCreatedOrder(sql, orderId, OrderStatus.cancelled, reason);
  if (before === OrderStatus.confirmed) {
    throw new BusinessRefusal(
      'order_confirmed',
      `order ${orderId} is already confirmed and cannot be cancelled`,
    );
  }
  return before === OrderStatus.created;
}

/**
 * Cancels a confirmed order with `reason` (the order-cancellation saga's last step), in one
 * statement; returns whether it changed (a cancelled order stays as it is). Refuses an unknown
 * order (`order_not_found`) and one not confirmed yet (`order_not_confirmed`).
 */
export async function revokeOrder(sql: WorkerSql, orderId: string, reason: string): Promise<boolean> {
  const [row] = await sql<{ status: OrderStatus | null }[]>`
    with current as (select status from orders.orders where id = ${orderId} for update),
    moved as (
      update orders.orders set status = ${OrderStatus.cancelled}, cancel_reason = ${reason}, updated_at = now()
      where id = ${orderId} and status = ${OrderStatus.confirmed}
      returning 1)
    select (select status from current) as status`;
  const before = row?.status ?? null;
  if (before === null) throw new BusinessRefusal('order_not_found', `order ${orderId} does not exist`);
  if (before === OrderStatus.created) {
    throw new BusinessRefusal('order_not_confirmed', `order ${orderId} is not confirmed yet`);
  }
  return before === OrderStatus.confirmed;
}
