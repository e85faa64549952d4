// The order-history API: GET /orders/{orderId} and GET /orders?customerId=…, served from the order-history read model.
import { Hono } from 'hono';
import type postgres from 'postgres';
import { z } from 'zod';
import { decodeCursor, listCustomerOrders, readOrder } from '../projections/order-queries.js';
import { bodyLimits } from './body-limits.js';
import { fieldErrors, problem } from './problem.js';

/** The query of `GET /orders`. */
export const OrdersQuery = z.strictObject({
  customerId: z.string().min(1).max(100),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(200).optional(),
});

export function orderRoutes(sql: postgres.Sql) {
  const app = new Hono();
  app.use('/orders', bodyLimits([], 1024));
  app.use('/orders/*', bodyLimits([], 1024));

  app.get('/orders', async (c) => {
    const query = OrdersQuery.safeParse(c.req.query());
    if (!query.success) {
      return problem(c, { title: 'Invalid query', status: 400, errors: fieldErrors(query.error) });
    }
    const after = query.data.cursor === undefined ? null : decodeCursor(query.data.cursor);
    if (query.data.cursor !== undefined && !after) {
      return problem(c, {
        title: 'Invalid query',
        status: 400,
        errors: [
          { field: 'cursor', message: 'not a cursor this API gave out (use `next` of the previous page)' },
        ],
      });
    }
    return c.json(await listCustomerOrders(sql, query.data.customerId, query.data.limit, after));
  });

  app.get('/orders/:orderId', async (c) => {
    const id = z.uuid().safeParse(c.req.param('orderId'));
    if (!id.success) {
      return problem(c, {
        title: 'Not found',
        status: 404,
        detail: 'order ids are UUIDs',
        errors: [{ field: 'orderId', message: 'not a UUID' }],
      });
    }
    const order = await readOrder(sql, id.data);
    if (!order) {
      return problem(c, {
        title: 'Not found',
        status: 404,
        detail: `no order ${id.data} (an order appears here moments after its checkout starts)`,
      });
    }
    return c.json(order);
  });
  return app;
}

const OrderFields = {
  orderId: z.uuid(),
  sagaId: z.uuid().nullable(),
  customerId: z.string().nullable(),
  status: z.enum(['created', 'confirmed', 'cancelled']),
  currency: z.string().nullable(),
  totalCents: z.number().int().nullable(),
  lines: z.array(z.object({ sku: z.string(), quantity: z.number().int(), unitPriceCents: z.number().int() })),
  cancelReason: z.string().nullable(),
  stock: z.enum(['held', 'committed', 'released', 'expired', 'returned']).nullable(),
  payment: z.enum(['charged', 'declined', 'refunded']).nullable(),
  chargedCents: z.number().int().nullable(),
  refundedCents: z.number().int().nullable(),
  shipment: z.enum(['scheduled', 'cancelled']).nullable(),
  placedAt: z.iso.datetime().nullable(),
  updatedAt: z.iso.datetime(),
};

/** An order in a customer's list. */
export const OrderSummary = z.object(OrderFields);

/** One order with every event of its history, oldest first. */
export const OrderHistory = z.object({
  ...OrderFields,
  events: z.array(
    z.object({
      type: z.string(),
      aggregate: z.enum(['order', 'stock', 'payment', 'shipment']),
      sequence: z.number().int(),
      version: z
        .number()
        .int()
        .describe('the version the event was written with (its payload is shown at the current one)'),
      occurredAt: z.iso.datetime(),
      payload: z.unknown(),
    }),
  ),
});

/** A page of a customer's orders, newest first. */
export const OrderPage = z.object({
  items: z.array(OrderSummary),
  next: z.string().nullable().describe('the cursor of the next page; null on the last'),
});
