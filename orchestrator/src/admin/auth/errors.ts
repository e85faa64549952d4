// Problem responses for admin route handlers, and Hono's HTTP errors (malformed JSON, wrong media type) as problems.
import type { Context, ErrorHandler } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { problem, type Problem } from '../../http/problem.js';

/**
 * `problem()` for `@hono/zod-openapi` handlers. Their typed response covers only the statuses
 * with literal keys (`problems()` declares the error statuses as a record, which the types drop),
 * so the problem is typed `never`, which every handler accepts; at runtime it is the problem response.
 */
export function routeProblem(c: Context, body: Problem): never {
  return problem(c, body) as never;
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
