// The order worker's domain: an order is created, then confirmed or cancelled, never both.
import { BusinessRefusal, type OrderCreate } from '@sagaport/rabbitmq';
import { coalesce } from '../runtime/coalesce.js';
import { jsonb, type WorkerSql } from '../runtime/sql.js';

/** Lifecycle of an order: created → confirmed, or created → cancelled, or confirmed → cancelled (an order cancellation). */
export const OrderStatus = {
  created: 'created',
  confirmed: 'confirmed',
  cancelled: 'cancelled',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

/** One `order.create` of a batch: the saga and its order. */
interface NewOrder {
  readonly sagaId: string;
  readonly order: OrderCreate;
}

/**
 * Records the orders of a batch's `order.create` commands in one statement, each as if alone
 * after those before it: the order of a saga that has one already (from before, or from an
 * earlier copy in the batch) is not written again, and its id is returned; an order id taken by
 * another saga gets null.
 */
const insertOrders = coalesce<NewOrder, string | null>(async (sql, inputs) => {
  const rows = inputs.map(({ sagaId, order }, n) => ({
    n,
    id: order.orderId,
    saga_id: sagaId,
    customer_id: order.customerId,
    email: order.email,
    items: order.items,
    total_cents: order.totalCents,
    currency: order.currency,
    shipping_address: order.shippingAddress,
  }));
  const found = await sql<{ id: string | null }[]>`
    with r as (
      select * from jsonb_to_recordset(${jsonb(rows)}::jsonb) as r(n int, id uuid, saga_id uuid,
        customer_id text, email text, items jsonb, total_cents int, currency text, shipping_address jsonb)
    ), created as (
      insert into orders.orders
        (id, saga_id, customer_id, email, items, total_cents, currency, shipping_address, status)
      select id, saga_id, customer_id, email, items, total_cents, currency, shipping_address,
        ${OrderStatus.created}
      from r order by n
      on conflict do nothing
      returning id, saga_id)
    -- A saga's order: written now (by this input or an earlier copy), or before.
    select coalesce((select c.id from created c where c.saga_id = r.saga_id),
      (select o.id from orders.orders o where o.saga_id = r.saga_id)) as id
    from r order by r.n`;
  return found.map((row) => row.id);
});

/**
 * Records the saga's order. Idempotent on the saga: a saga that already has an order gets its id
 * back. An order id taken by another saga is refused (`order_exists`); nothing is written then.
 * The creations of a batch run as one statement.
 */
export async function createOrder(
  sql: WorkerSql,
  sagaId: string,
  order: OrderCreate,
): Promise<{ orderId: string }> {
  const id = await insertOrders(sql, { sagaId, order });
  if (!id) {
    throw new BusinessRefusal('order_exists', `order ${order.orderId} belongs to another checkout`);
  }
  return { orderId: id };
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
 * Confirms the created orders among a batch's `order.confirm` commands in one statement (locking
 * the rows in id order); returns, per input, the status each order had before its own
 * confirmation, or null when there is no such order. A repeated order id sees what its earlier
 * copy did: an order the first copy confirmed was `confirmed` before the second.
 */
const confirmCreatedOrders = coalesce<string, OrderStatus | null>(async (sql, orderIds) => {
  const found = await sql<{ id: string; status: OrderStatus }[]>`
    with current as (
      select id, status from orders.orders
      where id = any(${sql.array([...orderIds], 2950)}::uuid[])
      order by id for update),
    moved as (
      update orders.orders set status = ${OrderStatus.confirmed}, updated_at = now()
      where id in (select id from current) and status = ${OrderStatus.created}
      returning 1)
    select id, status from current`;
  // PostgreSQL answers with lower-case ids; a command may spell its id in capitals.
  const status = new Map(found.map((row) => [row.id, row.status]));
  return orderIds.map((orderId) => {
    const id = orderId.toLowerCase();
    const before = status.get(id) ?? null;
    if (before === OrderStatus.created) status.set(id, OrderStatus.confirmed);
    return before;
  });
});

/**
 * Confirms a created order; returns whether it changed (a confirmed order stays as it is).
 * Refuses an unknown order (`order_not_found`) and a cancelled one (`order_cancelled`). The
 * confirmations of a batch run as one statement.
 */
export async function confirmOrder(sql: WorkerSql, orderId: string): Promise<boolean> {
  const before = await confirmCreatedOrders(sql, orderId);
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
