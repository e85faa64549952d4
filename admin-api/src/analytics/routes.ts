// GET /analytics/sales: the last N minutes of the sales-analytics read model, per minute and the top SKUs (viewers may read).
import { createRoute, z } from '@hono/zod-openapi';
import type { AdminDeps } from '../env.js';
import { adminRouter, jsonResponse, problems } from '../openapi.js';
import { salesReport } from './sales.js';

const Money = z.object({ currency: z.string(), cents: z.number().int() });

const MinuteSchema = z
  .object({
    minute: z.iso.datetime().openapi({ description: 'The start of the minute (UTC)' }),
    ordersSold: z.number().int(),
    unitsSold: z.number().int(),
    revenue: z.array(Money).openapi({ description: 'Revenue of the units sold, per currency' }),
    ordersCancelled: z.number().int().openapi({
      description: 'Confirmed orders cancelled in this minute (their sale stays in its own minute)',
    }),
    unitsCancelled: z.number().int(),
    revenueCancelled: z.array(Money),
    cardDeclines: z.number().int().openapi({ description: 'Orders whose card was declined in this minute' }),
  })
  .openapi('SalesMinute');

const SkuSchema = z
  .object({
    sku: z.string(),
    unitsSold: z.number().int(),
    revenue: z.array(Money),
    ordersSold: z.number().int(),
    unitsCancelled: z.number().int(),
    ordersCancelled: z.number().int(),
    cardDeclines: z.number().int(),
  })
  .openapi('SalesSku');

export const SalesReportSchema = z
  .object({
    from: z.iso.datetime(),
    to: z.iso.datetime(),
    minutes: z
      .array(MinuteSchema)
      .openapi({ description: 'One entry per minute, oldest first, empty minutes included' }),
    topSkus: z.array(SkuSchema).openapi({ description: 'By units sold, then revenue, at most `top`' }),
  })
  .openapi('SalesReport');

const salesRoute = createRoute({
  method: 'get',
  path: '/analytics/sales',
  tags: ['analytics'],
  summary:
    'Sales of the last `minutes` minutes (the current one included), from the sales-analytics read model: per minute and the top SKUs',
  request: {
    query: z.object({
      minutes: z.coerce
        .number()
        .int()
        .min(1)
        .max(1440)
        .default(60)
        .openapi({ description: '1 to 1440 (default 60)' }),
      top: z.coerce
        .number()
        .int()
        .min(1)
        .max(100)
        .default(10)
        .openapi({ description: '1 to 100 (default 10)' }),
    }),
  },
  responses: {
    200: jsonResponse(SalesReportSchema, 'The sales report'),
    ...problems(401, 422),
  },
});

/** The analytics routes: reads only, for every signed-in role. */
export function analyticsRoutes(deps: AdminDeps) {
  return adminRouter().openapi(salesRoute, async (c) => {
    const { minutes, top } = c.req.valid('query');
    return c.json(await salesReport(deps.database.sql, { minutes, top }), 200);
  });
}
