// The checkout API: POST /checkouts (idempotent, can wait for the outcome) and GET /checkouts/{id}.
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { CheckoutService } from '../checkout/service.js';
import type { SagaEndedSignal } from '../saga/ended-signal.js';
import type { Backpressure } from './backpressure.js';
import {
  type BodyLimitRule,
  bodyLimits,
  invalidRequestHook,
  type Problem,
  problemResponse,
  routeProblem,
} from '@sagaport/runtime';
import {
  CheckoutRequest,
  CheckoutStatus,
  KeyReusedProblem,
  MAX_CHECKOUT_BODY_BYTES,
} from './checkout-schema.js';
import { startRequest, startRequestParameters, type StartRequestVariables } from './start-request.js';

export interface CheckoutRoutesOptions {
  readonly service: CheckoutService;
  readonly ended: SagaEndedSignal;
  /** Refuses new checkouts (503) while the broker blocks publishing or the outbox lags. */
  readonly backpressure?: Backpressure;
}

/** The environment of a route that starts a saga: the checked start request. */
export type StartEnv = { Variables: StartRequestVariables };

/** The checkout API's body limits: a checkout (at most 100 lines) fits 64 KiB; reads take no body. */
export const checkoutBodyLimits: readonly BodyLimitRule[] = [
  { method: 'POST', path: /^\/checkouts$/, maxBytes: MAX_CHECKOUT_BODY_BYTES },
];
const READ_MAX_BODY_BYTES = 1024;

/** The headers a started or replayed saga answers with. */
export const startedHeaders = {
  Location: {
    description: 'The checkout: GET it for the outcome',
    schema: { type: 'string' as const, examples: ['/checkouts/0191e4b4-6f4e-7cc1-9c2b-5a4f2d3e1a01'] },
  },
  'Idempotent-Replayed': {
    description: 'Present (`true`) when the key and body were seen before: this is the same checkout',
    schema: { type: 'string' as const, enum: ['true'] },
  },
  'Preference-Applied': {
    description: 'Present when `Prefer: wait=N` was honoured: the wait applied, `wait=N` (N capped)',
    schema: { type: 'string' as const, examples: ['wait=10'] },
  },
};

/** A saga's status as a route's response, with the headers of a started saga when it is one. */
export const statusResponse = (description: string, headers?: typeof startedHeaders) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema: CheckoutStatus } },
});

/** A path id that is not a UUID names no resource: 404, naming the parameter. */
export const notAUuid = (field: string, what: string) => (): Problem => ({
  title: 'Not found',
  status: 404,
  detail: `${what} ids are UUIDs`,
  errors: [{ field, message: 'not a UUID' }],
});

const kib = (bytes: number) => `${bytes / 1024} KiB`;

const startCheckoutRoute = (backpressure: Backpressure | undefined) =>
  createRoute({
    method: 'post',
    path: '/checkouts',
    operationId: 'startCheckout',
    summary: 'Start a checkout',
    middleware: [...(backpressure ? [backpressure.middleware()] : []), startRequest({ body: 'required' })],
    parameters: startRequestParameters(
      'The same key with the same body returns the same checkout; with another body, 409. ' +
        '1–200 printable ASCII characters without spaces; a UUID is a good key.',
    ),
    request: { body: { required: true, content: { 'application/json': { schema: CheckoutRequest } } } },
    responses: {
      200: statusResponse('The saga ended while the request waited (Prefer: wait)', startedHeaders),
      202: statusResponse('Accepted; follow Location for the outcome', startedHeaders),
      400: problemResponse('Malformed JSON or an invalid Idempotency-Key'),
      409: problemResponse(
        'The Idempotency-Key was used with a different body; `sagaId` is the checkout it started',
        { schema: KeyReusedProblem },
      ),
      413: problemResponse(`Body larger than ${kib(MAX_CHECKOUT_BODY_BYTES)}`),
      415: problemResponse('Body is not application/json'),
      422: problemResponse('Invalid fields (errors[] names each one)'),
      428: problemResponse('Idempotency-Key header missing'),
      503: problemResponse('Not accepting new sagas now (broker alarm or outbox lag); see Retry-After', {
        retryAfter: true,
      }),
    },
  });

const IdParam = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });

const getCheckoutRoute = createRoute({
  method: 'get',
  path: '/checkouts/{id}',
  operationId: 'getCheckout',
  summary: 'Read a checkout (or any saga the API started)',
  request: { params: IdParam },
  responses: {
    200: statusResponse('The checkout'),
    404: problemResponse('No such checkout'),
  },
});

/**
 * The answer to a request that started a saga (or found the one its idempotency key started):
 * `Location`, `Idempotent-Replayed`, and with `Prefer: wait` the saga's status once it ended (200)
 * or when the wait ran out (202); without it, its status now (202).
 */
export async function answerStarted(
  c: Context,
  started: {
    readonly sagaId: string;
    readonly replayed: boolean;
    readonly wait: number | undefined;
    readonly watch: ReturnType<SagaEndedSignal['register']> | undefined;
    readonly ended: SagaEndedSignal;
    readonly service: CheckoutService;
  },
): Promise<never> {
  const { sagaId, wait, watch, ended, service } = started;
  c.header('Location', `/checkouts/${sagaId}`);
  if (started.replayed) c.header('Idempotent-Replayed', 'true');
  if (wait !== undefined) {
    c.header('Preference-Applied', `wait=${wait}`);
    const done = watch
      ? await watch.wait(wait * 1000)
      : await ended.waitForEnd(sagaId, wait * 1000, () => service.hasEnded(sagaId));
    // A saga this process ended comes with its row: no need to read it back.
    const endedHere = watch?.endedAs;
    const status = endedHere ? CheckoutService.statusOf(endedHere) : await service.status(sagaId);
    return c.json(status, done ? 200 : 202) as never;
  }
  return c.json(await service.status(sagaId), 202) as never;
}

export function checkoutRoutes({ service, ended, backpressure }: CheckoutRoutesOptions) {
  const app = new OpenAPIHono<StartEnv>();
  app.use('/checkouts/*', bodyLimits(checkoutBodyLimits, READ_MAX_BODY_BYTES));

  app.openapi(
    startCheckoutRoute(backpressure),
    async (c) => {
      const wait = c.get('preferredWait');
      // A new saga is watched from before its first command, so its end cannot be missed.
      let watch: ReturnType<typeof ended.register> | undefined;
      const result = await service.start(
        c.get('idempotencyKey'),
        c.req.valid('json'),
        wait === undefined ? undefined : (sagaId) => (watch = ended.register(sagaId)),
      );
      if (result.kind === 'invalid')
        return routeProblem(c, { title: 'Invalid checkout', status: 422, errors: [...result.errors] });
      if (result.kind === 'key-reused') {
        return routeProblem(c, {
          title: 'Idempotency-Key reused',
          status: 409,
          detail: `this key already started checkout ${result.sagaId} with a different body; use a new key for a new checkout`,
          sagaId: result.sagaId,
        });
      }
      return answerStarted(c, {
        sagaId: result.sagaId,
        replayed: result.kind === 'replayed',
        wait,
        watch,
        ended,
        service,
      });
    },
    invalidRequestHook({ title: 'Invalid checkout', status: 422 }),
  );

  app.openapi(
    getCheckoutRoute,
    async (c) => {
      const { id } = c.req.valid('param');
      const status = await service.status(id);
      if (!status) return routeProblem(c, { title: 'Not found', status: 404, detail: `no checkout ${id}` });
      return c.json(status, 200);
    },
    invalidRequestHook(undefined, { param: notAUuid('id', 'checkout') }),
  );

  return app;
}
