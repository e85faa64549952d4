// The order-cancellation API: POST /orders/{orderId}/cancellation (idempotent, can wait for the outcome) and its GET.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { CancellationRefusal, CancellationService } from '../cancellation/service.js';
import type { CheckoutService } from '../checkout/service.js';
import type { SagaEndedSignal } from '../saga/ended-signal.js';
import type { Backpressure } from './backpressure.js';
import {
  type BodyLimitRule,
  bodyLimits,
  invalidRequestHook,
  problemResponse,
  routeProblem,
} from '@sagaport/runtime';
import { answerStarted, notAUuid, startedHeaders, statusResponse, type StartEnv } from './checkouts.js';
import { CancellationRequest, KeyReusedProblem, MAX_CANCELLATION_BODY_BYTES } from './checkout-schema.js';
import { startRequest, startRequestParameters } from './start-request.js';

export interface CancellationRoutesOptions {
  readonly service: CancellationService;
  readonly checkouts: CheckoutService;
  readonly ended: SagaEndedSignal;
  /** Refuses new cancellations (503) while the broker blocks publishing or the outbox lags. */
  readonly backpressure?: Backpressure;
}

const PATH = /^\/orders\/[^/]+\/cancellation$/;
export const cancellationBodyLimits: readonly BodyLimitRule[] = [
  { method: 'POST', path: PATH, maxBytes: MAX_CANCELLATION_BODY_BYTES },
];

/** The 409 (or 404) problem of a cancellation that cannot start, saying why and what to do. */
function refusalProblem(c: Context, orderId: string, refusal: CancellationRefusal): never {
  switch (refusal.kind) {
    case 'no-order':
      return routeProblem(c, { title: 'Not found', status: 404, detail: `no order ${orderId}` });
    case 'checkout-running':
      return routeProblem(c, {
        title: 'Order not confirmed yet',
        status: 409,
        detail: `the checkout of order ${orderId} (saga ${refusal.sagaId}) is still ${refusal.status}${refusal.step ? ` at ${refusal.step}` : ''}; cancel the order once its checkout has completed`,
        sagaId: refusal.sagaId,
      });
    case 'not-confirmed':
      return routeProblem(c, {
        title: 'Order not confirmed',
        status: 409,
        detail: `the checkout of order ${orderId} (saga ${refusal.sagaId}) ended ${refusal.status}: the order was never confirmed, so there is nothing to cancel`,
        sagaId: refusal.sagaId,
      });
    case 'cancelled':
      return routeProblem(c, {
        title: 'Order already cancelled',
        status: 409,
        detail: `order ${orderId} was cancelled by saga ${refusal.sagaId}`,
        sagaId: refusal.sagaId,
      });
    case 'cancelling':
      return routeProblem(c, {
        title: 'Cancellation in progress',
        status: 409,
        detail: `order ${orderId} is being cancelled by saga ${refusal.sagaId}${refusal.step ? ` (at ${refusal.step})` : ''}; follow that saga instead`,
        sagaId: refusal.sagaId,
      });
  }
}

const OrderIdParam = z.object({
  orderId: z.uuid().openapi({ param: { name: 'orderId', in: 'path' } }),
});
const kib = (bytes: number) => `${bytes / 1024} KiB`;

const cancelOrderRoute = (backpressure: Backpressure | undefined) =>
  createRoute({
    method: 'post',
    path: '/orders/{orderId}/cancellation',
    operationId: 'cancelOrder',
    summary: 'Cancel a confirmed order',
    description:
      'Starts the order-cancellation saga: withdraw the shipment, refund the payment, return the stock, ' +
      'mark the order cancelled. Once the parcel has shipped the saga ends `rejected` with the reason ' +
      '(`already_shipped`) and nothing changes. Answered like a checkout: `Location` is the saga ' +
      '(GET /checkouts/{id} reads any saga).',
    middleware: [...(backpressure ? [backpressure.middleware()] : []), startRequest({ body: 'optional' })],
    parameters: startRequestParameters(
      'The same key with the same request returns the same cancellation; with another, 409.',
    ),
    request: {
      params: OrderIdParam,
      body: { required: false, content: { 'application/json': { schema: CancellationRequest } } },
    },
    responses: {
      200: statusResponse(
        'The saga ended while the request waited: `completed`, or `rejected` with the reason',
        startedHeaders,
      ),
      202: statusResponse('Accepted; follow Location for the outcome', startedHeaders),
      400: problemResponse('Malformed JSON or an invalid Idempotency-Key'),
      404: problemResponse('No such order (or the order id is not a UUID)'),
      409: problemResponse(
        'The order cannot be cancelled now: its checkout is still running or never completed, it is ' +
          'cancelled already or being cancelled (`sagaId` names that saga), or the Idempotency-Key ' +
          'was used for another request',
        { schema: KeyReusedProblem },
      ),
      413: problemResponse(`Body larger than ${kib(MAX_CANCELLATION_BODY_BYTES)}`),
      415: problemResponse('Body is not application/json'),
      422: problemResponse('Invalid fields (errors[] names each one)'),
      428: problemResponse('Idempotency-Key header missing'),
      503: problemResponse('Not accepting new sagas now (broker alarm or outbox lag); see Retry-After', {
        retryAfter: true,
      }),
    },
  });

const getCancellationRoute = createRoute({
  method: 'get',
  path: '/orders/{orderId}/cancellation',
  operationId: 'getOrderCancellation',
  summary: 'Read the cancellation of an order (the completed one, else the newest)',
  request: { params: OrderIdParam },
  responses: {
    200: statusResponse('The cancellation saga'),
    404: problemResponse('The order has no cancellation'),
  },
});

const orderIdNotAUuid = notAUuid('orderId', 'order');

export function cancellationRoutes({ service, checkouts, ended, backpressure }: CancellationRoutesOptions) {
  const app = new OpenAPIHono<StartEnv>();
  app.use('/orders/*', bodyLimits(cancellationBodyLimits, 1024));

  app.openapi(
    cancelOrderRoute(backpressure),
    async (c) => {
      const { orderId } = c.req.valid('param');
      const wait = c.get('preferredWait');
      let watch: ReturnType<typeof ended.register> | undefined;
      const result = await service.start(
        c.get('idempotencyKey'),
        orderId,
        c.req.valid('json').reason,
        wait === undefined ? undefined : (sagaId) => (watch = ended.register(sagaId)),
      );
      if (result.kind === 'refused') return refusalProblem(c, orderId, result.refusal);
      if (result.kind === 'key-reused') {
        return routeProblem(c, {
          title: 'Idempotency-Key reused',
          status: 409,
          detail: `this key already started saga ${result.sagaId} with a different request; use a new key for a new cancellation`,
          sagaId: result.sagaId,
        });
      }
      return answerStarted(c, {
        sagaId: result.sagaId,
        replayed: result.kind === 'replayed',
        wait,
        watch,
        ended,
        service: checkouts,
      });
    },
    invalidRequestHook({ title: 'Invalid cancellation', status: 422 }, { param: orderIdNotAUuid }),
  );

  app.openapi(
    getCancellationRoute,
    async (c) => {
      const { orderId } = c.req.valid('param');
      const sagaId = await service.latestOf(orderId);
      const status = sagaId ? await checkouts.status(sagaId) : undefined;
      if (!status) {
        return routeProblem(c, {
          title: 'Not found',
          status: 404,
          detail: `order ${orderId} has no cancellation`,
        });
      }
      return c.json(status, 200);
    },
    invalidRequestHook(undefined, { param: orderIdNotAUuid }),
  );

  return app;
}
