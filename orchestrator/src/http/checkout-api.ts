// The public checkout API: checkouts, order cancellations and order history, as one router with one OpenAPI document.
import { OpenAPIHono } from '@hono/zod-openapi';
import type postgres from 'postgres';
import type { CancellationService } from '../cancellation/service.js';
import type { CheckoutService } from '../checkout/service.js';
import type { SagaEndedSignal } from '../saga/ended-signal.js';
import type { Backpressure } from './backpressure.js';
import { cancellationRoutes } from './cancellations.js';
import { checkoutRoutes } from './checkouts.js';
import { openApiDocumentOf, type OpenApiDocumentHeader } from '@sagaport/runtime';
import { orderRoutes } from './orders.js';

export interface CheckoutApiDeps {
  readonly checkouts: CheckoutService;
  readonly cancellations: CancellationService;
  readonly ended: SagaEndedSignal;
  /** The order-history read model's connection. */
  readonly sql: postgres.Sql;
  /** Refuses new sagas (503) while the broker blocks publishing or the outbox lags. */
  readonly backpressure?: Backpressure;
}

/** Builds the checkout API; mount it at `/`. Building reads no dependency: only handlers do. */
export function createCheckoutApi(deps: CheckoutApiDeps): OpenAPIHono {
  const { checkouts, cancellations, ended, sql, backpressure } = deps;
  const app = new OpenAPIHono();
  app.route('/', checkoutRoutes({ service: checkouts, ended, backpressure }));
  app.route('/', cancellationRoutes({ service: cancellations, checkouts, ended, backpressure }));
  app.route('/', orderRoutes(sql));
  return app;
}

/** The document's header; the paths come from the routes. */
export const checkoutDocument: OpenApiDocumentHeader = {
  openapi: '3.1.0',
  info: {
    title: 'Sagaport checkout API',
    version: '1.0.0',
    description:
      'Starts checkout and order-cancellation sagas and reports their outcome. No authentication: put it behind your own ' +
      'gateway. Errors are RFC 9457 problem details naming the field at fault.',
  },
  servers: [{ url: '/', description: 'The orchestrator serving this document' }],
  security: [],
};

/** The OpenAPI document of the checkout API, served at /openapi.json. */
export function checkoutOpenApiDocument(app: OpenAPIHono) {
  return openApiDocumentOf(app, { header: checkoutDocument });
}
