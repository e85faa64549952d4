// Building blocks every admin route shares: the validation hook, a router factory, cursors; problems come from http/problem.ts.
import { OpenAPIHono, z } from '@hono/zod-openapi';
import { invalidRequestHook } from '@sagaport/runtime';
import type { AdminEnv } from './env.js';

export { problems } from '@sagaport/runtime';

/** Turns a failed request validation into a 422 problem naming every field at fault. */
export const validationHook = invalidRequestHook<AdminEnv>();

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
