// The order-history API: GET /orders/{orderId} and GET /orders?customerId=…, served from the order-history read model.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type postgres from 'postgres';
import { decodeCursor, listCustomerOrders, readOrder } from '../projections/order-queries.js';
import { bodyLimits, invalidRequestHook, problemResponse, routeProblem } from '@sagaport/runtime';
import { notAUuid } from './checkouts.js';

/** The query of `GET /orders`. */
export const OrdersQuery = z.strictObject({
  customerId: z.string().min(1).max(100),
  limit: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z.string().min(1).max(200).optional().describe('`next` of the previous page'),
});

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
export const OrderHistory = z
  .object({
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
  })
  .openapi('OrderHistory');

/** A page of a customer's orders, newest first. */
export const OrderPage = z
  .object({
    items: z.array(OrderSummary),
    next: z.string().nullable().describe('the cursor of the next page; null on the last'),
  })
  .openapi('OrderPage');

const listOrdersRoute = createRoute({
  method: 'get',
  path: '/orders',
  operationId: 'listOrders',
  summary: "A customer's orders, newest first (from the order-history read model)",
  request: { query: OrdersQuery },
  responses: {
    200: { description: 'A page of orders', content: { 'application/json': { schema: OrderPage } } },
    400: problemResponse('A missing customerId, a bad limit or cursor (errors[] names the field)'),
  },
});

const getOrderRoute = createRoute({
  method: 'get',
  path: '/orders/{orderId}',
  operationId: 'getOrder',
  summary: 'An order and every event of its history (from the order-history read model)',
  request: {
    params: z.object({ orderId: z.uuid().openapi({ param: { name: 'orderId', in: 'path' } }) }),
  },
  responses: {
    200: { description: 'The order', content: { 'application/json': { schema: OrderHistory } } },
    404: problemResponse('No such order (yet: the read model follows the event stream)'),
  },
});

export function orderRoutes(sql: postgres.Sql) {
  const app = new OpenAPIHono();
  app.use('/orders', bodyLimits([], 1024));
  app.use('/orders/*', bodyLimits([], 1024));

  app.openapi(
    listOrdersRoute,
    async (c) => {
      const query = c.req.valid('query');
      const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
      if (query.cursor !== undefined && !after) {
        return routeProblem(c, {
          title: 'Invalid query',
          status: 400,
          errors: [
            { field: 'cursor', message: 'not a cursor this API gave out (use `next` of the previous page)' },
          ],
        });
      }
      const page = await listCustomerOrders(sql, query.customerId, query.limit, after);
      // The read model's status columns are text; its projection writes only the values the schema lists.
      return c.json(page as z.infer<typeof OrderPage>, 200);
    },
    invalidRequestHook({ title: 'Invalid query', status: 400 }),
  );

  app.openapi(
    getOrderRoute,
    async (c) => {
      const { orderId } = c.req.valid('param');
      const order = await readOrder(sql, orderId);
      if (!order) {
        return routeProblem(c, {
          title: 'Not found',
          status: 404,
          detail: `no order ${orderId} (an order appears here moments after its checkout starts)`,
        });
      }
      return c.json(order as z.infer<typeof OrderHistory>, 200);
    },
    invalidRequestHook(undefined, { param: notAUuid('orderId', 'order') }),
  );
  return app;
}
