// RFC 9457 problem details: every HTTP error Sagaport returns has this shape.
import type { Context } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { z } from 'zod';

/** One field at fault: a JSON-pointer-like path (`items.0.quantity`) and what is wrong with it. */
export interface FieldError {
  readonly field: string;
  readonly message: string;
}

export interface Problem {
  readonly type?: string;
  readonly title: string;
  readonly status: number;
  readonly detail?: string;
  readonly errors?: readonly FieldError[];
  readonly [extension: string]: unknown;
}

/** Sends `problem` as `application/problem+json` with its status. */
export function problem(c: Context, body: Problem): Response {
  return c.body(JSON.stringify({ type: 'about:blank', ...body }), body.status as ContentfulStatusCode, {
    'Content-Type': 'application/problem+json',
  });
}

/** Turns zod issues into field errors, the path joined with dots. */
export function fieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(body)',
    message: issue.message,
  }));
}
