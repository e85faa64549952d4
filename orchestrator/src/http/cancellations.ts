// The order-cancellation API: POST /orders/{orderId}/cancellation (idempotent, can wait for the outcome) and its GET.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import type { CancellationRefusal, CancellationService } from '../cancellation/service.js';
import type { CheckoutService } from '../checkout/service.js';
import type { SagaEndedSignal } from '../saga/ended-signal.js';
import type { Backpressure } from './backpressure.js';
import { bodyLimits, type BodyLimitRule } from './body-limits.js';
import { answerStarted, preferredWaitSeconds } from './checkouts.js';
import { CancellationRequest, IdempotencyKey, MAX_CANCELLATION_BODY_BYTES } from './checkout-schema.js';
import { fieldErrors, problem } from './problem.js';

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
function refusalProblem(c: Context, orderId: string, refusal: CancellationRefusal) {
  switch (refusal.kind) {
    case 'no-order':
      return problem(c, { title: 'Not found', status: 404, detail: `no order ${orderId}` });
    case 'checkout-running':
      return problem(c, {
        title: 'Order not confirmed yet',
        status: 409,
        detail: `the checkout of order ${orderId} (saga ${refusal.sagaId}) is still ${refusal.status}${refusal.step ? ` at ${refusal.step}` : ''}; cancel the order once its checkout has completed`,
        sagaId: refusal.sagaId,
      });
    case 'not-confirmed':
      return problem(c, {
        title: 'Order not confirmed',
        status: 409,
        detail: `the checkout of order ${orderId} (saga ${refusal.sagaId}) ended ${refusal.status}: the order was never confirmed, so there is nothing to cancel`,
        sagaId: refusal.sagaId,
      });
    case 'cancelled':
      return problem(c, {
        title: 'Order already cancelled',
        status: 409,
        detail: `order ${orderId} was cancelled by saga ${refusal.sagaId}`,
        sagaId: refusal.sagaId,
      });
    case 'cancelling':
      return problem(c, {
        title: 'Cancellation in progress',
        status: 409,
        detail: `order ${orderId} is being cancelled by saga ${refusal.sagaId}${refusal.step ? ` (at ${refusal.step})` : ''}; follow that saga instead`,
        sagaId: refusal.sagaId,
      });
  }
}

export function cancellationRoutes({ service, checkouts, ended, backpressure }: CancellationRoutesOptions) {
  const app = new Hono();
  app.use('/orders/*', bodyLimits(cancellationBodyLimits, 1024));
  if (backpressure) app.post('/orders/:orderId/cancellation', backpressure.middleware());

  app.post('/orders/:orderId/cancellation', async (c) => {
    const orderId = z.uuid().safeParse(c.req.param('orderId'));
    if (!orderId.success) {
      return problem(c, {
        title: 'Not found',
        status: 404,
        detail: 'order ids are UUIDs',
        errors: [{ field: 'orderId', message: 'not a UUID' }],
      });
    }
    const keyHeader = c.req.header('idempotency-key');
    if (keyHeader === undefined) {
      return problem(c, {
        title: 'Idempotency-Key required',
        status: 428,
        detail: 'send an Idempotency-Key header (for example a UUID) so the request can be retried safely',
        errors: [{ field: 'Idempotency-Key', message: 'missing header' }],
      });
    }
    const key = IdempotencyKey.safeParse(keyHeader);
    if (!key.success) {
      return problem(c, {
        title: 'Invalid Idempotency-Key',
        status: 400,
        errors: fieldErrors(key.error, 'Idempotency-Key'),
      });
    }
    const text = await c.req.text();
    let body: unknown = {};
    if (text.trim() !== '') {
      const contentType = c.req.header('content-type') ?? '';
      if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
        return problem(c, {
          title: 'Unsupported media type',
          status: 415,
          detail: 'send the body as application/json',
        });
      }
      try {
        body = JSON.parse(text);
      } catch (error) {
        return problem(c, { title: 'Malformed JSON', status: 400, detail: (error as Error).message });
      }
    }
    const parsed = CancellationRequest.safeParse(body);
    if (!parsed.success) {
      return problem(c, { title: 'Invalid cancellation', status: 422, errors: fieldErrors(parsed.error) });
    }
    const wait = preferredWaitSeconds(c.req.header('prefer'));
    let watch: ReturnType<typeof ended.register> | undefined;
    const result = await service.start(
      key.data,
      orderId.data,
      parsed.data.reason,
      wait === undefined ? undefined : (sagaId) => (watch = ended.register(sagaId)),
    );
    if (result.kind === 'refused') return refusalProblem(c, orderId.data, result.refusal);
    if (result.kind === 'key-reused') {
      return problem(c, {
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
  });

  app.get('/orders/:orderId/cancellation', async (c) => {
    const orderId = z.uuid().safeParse(c.req.param('orderId'));
    if (!orderId.success) {
      return problem(c, {
        title: 'Not found',
        status: 404,
        detail: 'order ids are UUIDs',
        errors: [{ field: 'orderId', message: 'not a UUID' }],
      });
    }
    const sagaId = await service.latestOf(orderId.data);
    const status = sagaId ? await checkouts.status(sagaId) : undefined;
    if (!status) {
      return problem(c, {
        title: 'Not found',
        status: 404,
        detail: `order ${orderId.data} has no cancellation`,
      });
    }
    return c.json(status);
  });

  return app;
}
