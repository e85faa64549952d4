// The checks every request that starts a saga shares: a JSON body, an Idempotency-Key, and `Prefer: wait`.
import { z, type RouteConfig } from '@hono/zod-openapi';
import type { MiddlewareHandler } from 'hono';
import { IdempotencyKey, MAX_WAIT_SECONDS } from './checkout-schema.js';
import { fieldErrors, problem } from '@sagaport/runtime';

/** What a saga-starting route's handler reads: the checked key and the wait it may hold the answer for. */
export type StartRequestVariables = {
  idempotencyKey: string;
  /** Seconds from `Prefer: wait=N`, capped at MAX_WAIT_SECONDS; undefined without it. */
  preferredWait: number | undefined;
};

export interface StartRequestOptions {
  /**
   * `required`: the request must be `application/json` (415 otherwise) before anything else is
   * checked. `optional`: the route's own media-type check applies once a body is sent.
   */
  readonly body: 'required' | 'optional';
}

const jsonMediaType = /^application\/(?:[\w.+-]+\+)?json\b/i;

/** Parses `Prefer: wait=N` (RFC 7240); N is capped at MAX_WAIT_SECONDS. */
export function preferredWaitSeconds(prefer: string | undefined): number | undefined {
  const match = prefer ? /(?:^|[,;\s])wait=(\d+)/i.exec(prefer) : null;
  return match ? Math.min(Number(match[1]), MAX_WAIT_SECONDS) : undefined;
}

/**
 * Middleware of every route that starts a saga, run before its body is read: 415 for a body that
 * is not JSON, 428 without an `Idempotency-Key`, 400 naming the header when the key is malformed;
 * then the key and the preferred wait are the handler's to read (`c.get`).
 */
export function startRequest(options: StartRequestOptions): MiddlewareHandler<{
  Variables: StartRequestVariables;
}> {
  return async function checkStartRequest(c, next) {
    if (options.body === 'required' && !jsonMediaType.test(c.req.header('content-type') ?? '')) {
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
    c.set('idempotencyKey', key.data);
    c.set('preferredWait', preferredWaitSeconds(c.req.header('prefer')));
    await next();
  };
}

/** The OpenAPI parameters `startRequest` reads, generated from the schema that checks the key. */
export function startRequestParameters(keyDescription: string): NonNullable<RouteConfig['parameters']> {
  const { $schema: _dialect, ...keySchema } = z.toJSONSchema(IdempotencyKey, {
    target: 'draft-2020-12',
    io: 'input',
  });
  return [
    {
      name: 'Idempotency-Key',
      in: 'header',
      required: true,
      // A JSON Schema of the 2020-12 dialect, which OpenAPI 3.1 uses; its types are zod's own.
      schema: keySchema as Record<string, unknown>,
      description: keyDescription,
    },
    {
      name: 'Prefer',
      in: 'header',
      required: false,
      schema: { type: 'string', examples: ['wait=10'] },
      description: `wait=N (N ≤ ${MAX_WAIT_SECONDS}): answer 200 when the saga has ended, or 202 after N seconds.`,
    },
  ];
}
