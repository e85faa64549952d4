// RFC 9457 problem details for both APIs: the response, its OpenAPI schema, and validation and HTTP errors as problems.
import { z, type Hook } from '@hono/zod-openapi';
import type { Context, Env, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';

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

/**
 * `problem()` for `@hono/zod-openapi` handlers. Their typed response covers only the statuses
 * with literal keys (`problems()` declares the error statuses as a record, which the types drop),
 * so the problem is typed `never`, which every handler accepts; at runtime it is the problem response.
 */
export function routeProblem(c: Context, body: Problem): never {
  return problem(c, body) as never;
}

/** Turns zod issues into field errors, the path joined with dots. */
export function fieldErrors(error: z.ZodError, prefix = ''): FieldError[] {
  return error.issues.map((issue) => ({
    field: [prefix, ...issue.path.map(String)].filter(Boolean).join('.') || '(body)',
    message: issue.message,
  }));
}

/**
 * Sends an `HTTPException` (thrown by body validation for malformed JSON, 415 for a wrong media
 * type) as a problem with its own status; rethrows anything else to the app's handler (500).
 */
export const httpErrorsAsProblems: ErrorHandler = (error, c) => {
  if (error instanceof HTTPException) {
    return problem(c, {
      title: error.status === 415 ? 'Unsupported media type' : 'Malformed request',
      status: error.status,
      detail: error.message,
    });
  }
  throw error;
};

/** Where a request failed its schema: the targets of `@hono/zod-openapi`'s validators. */
export type ValidationTarget = 'json' | 'query' | 'param' | 'header' | 'cookie' | 'form';

/**
 * A validation hook answering a request that failed its schema with a problem naming every field
 * at fault. `answers` may give a target its own answer (a malformed path id is a 404, say);
 * every other target gets `fallback` (a 422 by default).
 */
export function invalidRequestHook<E extends Env = Env, I = unknown, P extends string = string, R = unknown>(
  fallback: { readonly title: string; readonly status: number; readonly detail?: string } = {
    title: 'Invalid request',
    status: 422,
    detail: 'Some fields are invalid; see errors.',
  },
  answers: Partial<Record<ValidationTarget, (error: z.ZodError) => Problem>> = {},
): Hook<I, E, P, R> {
  const hook: Hook<I, E, P, Response | undefined> = (result, c) => {
    if (result.success) return;
    const answer = answers[result.target];
    return problem(c, answer ? answer(result.error) : { ...fallback, errors: fieldErrors(result.error) });
  };
  // The problem is a Response, which the route's typed responses do not list (see routeProblem).
  return hook as Hook<I, E, P, R>;
}

/** RFC 9457 problem details, as every error of both APIs is sent. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

/** The header a 429 or 503 carries: when to try again. */
const retryAfter = {
  'Retry-After': {
    description: 'Seconds until another attempt may succeed',
    schema: { type: 'integer', minimum: 1 },
  },
} as const;

/** A problem response for a route definition; `schema` when the problem carries more members. */
export function problemResponse(
  description: string,
  options: { schema?: z.ZodType; retryAfter?: boolean } = {},
) {
  return {
    description,
    content: { 'application/problem+json': { schema: options.schema ?? ProblemSchema } },
    ...(options.retryAfter ? { headers: retryAfter } : {}),
  };
}

/** Problem responses to list on an admin route, by status (a 429 with its Retry-After header). */
export function problems(...statuses: (400 | 401 | 403 | 404 | 409 | 422 | 429 | 503)[]) {
  const descriptions: Record<number, string> = {
    400: 'Malformed request',
    401: 'Not signed in',
    403: 'Signed in without the right role, or missing CSRF token',
    404: 'Not found',
    409: 'Conflicts with the current state',
    422: 'Invalid input; `errors` names each field at fault',
    429: 'Too many attempts; see Retry-After',
    503: 'A dependency is unavailable',
  };
  return Object.fromEntries(
    statuses.map((s) => [s, problemResponse(descriptions[s]!, { retryAfter: s === 429 })]),
  ) as Record<
    number,
    { description: string; content: { 'application/problem+json': { schema: typeof ProblemSchema } } }
  >;
}
