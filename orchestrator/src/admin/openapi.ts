// Building blocks every admin route shares: problem responses, the validation hook, a router factory.
import { OpenAPIHono, z } from '@hono/zod-openapi';
import type { Hook } from '@hono/zod-openapi';
import { fieldErrors, problem } from '../http/problem.js';
import type { AdminEnv } from './env.js';

/** RFC 9457 problem details, as every admin error is sent. */
export const ProblemSchema = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .openapi('Problem');

const problemContent = { 'application/problem+json': { schema: ProblemSchema } };

/** The header a 429 carries: when to try again. */
const retryAfter = {
  'Retry-After': {
    description: 'Seconds until another attempt may succeed',
    schema: { type: 'integer', minimum: 1 },
  },
} as const;

/** Problem responses to list on a route, by status (a 429 with its Retry-After header). */
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
    statuses.map((s) => [
      s,
      {
        description: descriptions[s]!,
        content: problemContent,
        ...(s === 429 ? { headers: retryAfter } : {}),
      },
    ]),
  ) as Record<number, { description: string; content: typeof problemContent }>;
}

/** Turns a failed request validation into a 422 problem naming every field at fault. */
export const validationHook: Hook<unknown, AdminEnv, string, unknown> = (result, c) => {
  if (!result.success) {
    return problem(c, {
      title: 'Invalid request',
      status: 422,
      detail: 'Some fields are invalid; see errors.',
      errors: fieldErrors(result.error),
    });
  }
};

/** A router for one admin feature, sharing the validation hook. */
export function adminRouter(): OpenAPIHono<AdminEnv> {
  return new OpenAPIHono<AdminEnv>({ defaultHook: validationHook });
}

/** Opaque keyset cursors: the sort key of the last row of a page, base64url JSON. */
export const cursor = {
  encode: (key: readonly (string | number)[]) => Buffer.from(JSON.stringify(key)).toString('base64url'),
  decode(value: string | undefined): (string | number)[] | undefined {
    if (!value) return undefined;
    try {
      const parsed: unknown = JSON.parse(Buffer.from(value, 'base64url').toString('utf8'));
      if (Array.isArray(parsed) && parsed.every((v) => typeof v === 'string' || typeof v === 'number')) {
        return parsed;
      }
    } catch {
      // fall through: an unreadable cursor is a client error
    }
    return undefined;
  },
};

/** A JSON response for a route definition. */
export const jsonResponse = <T extends z.ZodType>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});

/** A required JSON request body for a route definition. */
export const jsonBody = <T extends z.ZodType>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});

/** `{id}` in a path: a uuid (anything else is a 422 naming `id`). */
export const IdParams = z.object({ id: z.uuid().openapi({ param: { name: 'id', in: 'path' } }) });
