// Request-body limits per route: a body larger than its route allows is refused with 413 before it is read.
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { problem } from './problem.js';

/** The largest body one route accepts. `path` is matched against the whole request path. */
export interface BodyLimitRule {
  readonly method: string;
  readonly path: RegExp;
  readonly maxBytes: number;
}

const tooLarge = (maxBytes: number) => (c: Context) =>
  problem(c, {
    title: 'Payload too large',
    status: 413,
    detail: `This route accepts a body of at most ${maxBytes} bytes; send a smaller one.`,
    errors: [{ field: '(body)', message: `larger than ${maxBytes} bytes` }],
  });

const limitOf = (maxBytes: number) => bodyLimit({ maxSize: maxBytes, onError: tooLarge(maxBytes) });

/**
 * hono's bodyLimit with the first matching rule's size, `defaultMaxBytes` elsewhere. A declared
 * Content-Length over the limit is refused before any byte is read; a chunked body is read only
 * up to the limit.
 */
export function bodyLimits(rules: readonly BodyLimitRule[], defaultMaxBytes: number): MiddlewareHandler {
  const limits = rules.map((rule) => ({
    ...rule,
    method: rule.method.toUpperCase(),
    limit: limitOf(rule.maxBytes),
  }));
  const fallback = limitOf(defaultMaxBytes);
  return async function bodyLimitOfRoute(c, next) {
    const rule = limits.find((r) => r.method === c.req.method && r.path.test(c.req.path));
    // A declared length is judged from the header alone. hono's bodyLimit asks the request for
    // its body stream first, which makes the Node adapter build a whole web Request for every
    // call; only a chunked body (no length to trust) goes through it and is counted as it is read.
    const length = c.req.header('content-length');
    const chunked = c.req.header('transfer-encoding') !== undefined;
    if (length !== undefined && !chunked) {
      const maxBytes = rule?.maxBytes ?? defaultMaxBytes;
      return Number.parseInt(length, 10) > maxBytes ? tooLarge(maxBytes)(c) : next();
    }
    return (rule?.limit ?? fallback)(c, next);
  };
}
