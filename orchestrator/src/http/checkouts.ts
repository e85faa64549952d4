// The checkout API: POST /checkouts (idempotent, can wait for the outcome) and GET /checkouts/:id.
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { CheckoutService } from '../checkout/service.js';
import type { SagaEndedSignal } from '../saga/ended-signal.js';
import {
  CheckoutRequest,
  IdempotencyKey,
  MAX_CHECKOUT_BODY_BYTES,
  MAX_WAIT_SECONDS,
} from './checkout-schema.js';
import type { Backpressure } from './backpressure.js';
import { bodyLimits, type BodyLimitRule } from './body-limits.js';
import { fieldErrors, problem } from './problem.js';

export interface CheckoutRoutesOptions {
  readonly service: CheckoutService;
  readonly ended: SagaEndedSignal;
  /** Refuses new checkouts (503) while the broker blocks publishing or the outbox lags. */
  readonly backpressure?: Backpressure;
}

/** Parses `Prefer: wait=N` (RFC 7240); N is capped at MAX_WAIT_SECONDS. */
export function preferredWaitSeconds(prefer: string | undefined): number | undefined {
  const match = prefer ? /(?:^|[,;\s])wait=(\d+)/i.exec(prefer) : null;
  return match ? Math.min(Number(match[1]), MAX_WAIT_SECONDS) : undefined;
}

/** The checkout API's body limits: a checkout (at most 100 lines) fits 64 KiB; reads take no body. */
export const checkoutBodyLimits: readonly BodyLimitRule[] = [
  { method: 'POST', path: /^\/checkouts$/, maxBytes: MAX_CHECKOUT_BODY_BYTES },
];
const READ_MAX_BODY_BYTES = 1024;

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
) {
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
    return c.json(status, done ? 200 : 202);
  }
  return c.json(await service.status(sagaId), 202);
}

export function checkoutRoutes({ service, ended, backpressure }: CheckoutRoutesOptions) {
  const app = new Hono();
  app.use('/checkouts/*', bodyLimits(checkoutBodyLimits, READ_MAX_BODY_BYTES));
  if (backpressure) app.post('/checkouts', backpressure.middleware());

  app.post('/checkouts', async (c) => {
    const contentType = c.req.header('content-type') ?? '';
    if (!/^application\/(?:[\w.+-]+\+)?json\b/i.test(contentType)) {
      return problem(c, {
        title: 'Unsupported media type',
        status: 415,
        detail: 'send the body as application/json',
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
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch (error) {
      return problem(c, { title: 'Malformed JSON', status: 400, detail: (error as Error).message });
    }
    const parsed = CheckoutRequest.safeParse(body);
    if (!parsed.success) {
      return problem(c, { title: 'Invalid checkout', status: 422, errors: fieldErrors(parsed.error) });
    }
    const wait = preferredWaitSeconds(c.req.header('prefer'));
    // A new saga is watched from before its first command, so its end cannot be missed.
    let watch: ReturnType<typeof ended.register> | undefined;
    const result = await service.start(
      key.data,
      parsed.data,
      wait === undefined ? undefined : (sagaId) => (watch = ended.register(sagaId)),
    );
    if (result.kind === 'invalid')
      return problem(c, { title: 'Invalid checkout', status: 422, errors: [...result.errors] });
    if (result.kind === 'key-reused') {
      return problem(c, {
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
  });

  app.get('/checkouts/:id', async (c) => {
    const id = z.uuid().safeParse(c.req.param('id'));
    if (!id.success) {
      return problem(c, {
        title: 'Not found',
        status: 404,
        detail: 'checkout ids are UUIDs',
        errors: [{ field: 'id', message: 'not a UUID' }],
      });
    }
    const status = await service.status(id.data);
    if (!status) return problem(c, { title: 'Not found', status: 404, detail: `no checkout ${id.data}` });
    return c.json(status);
  });

  return app;
}
