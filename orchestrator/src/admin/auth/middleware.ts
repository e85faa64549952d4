// PLACEHOLDER (helper A replaces): session, role and CSRF checks.
import type { MiddlewareHandler } from 'hono';
import type { AdminDeps, AdminEnv } from '../env.js';

/** Loads the session; 401 without one; on mutations 403 for viewers and without a CSRF token. */
export function requireSession(_deps: AdminDeps): MiddlewareHandler<AdminEnv> {
  return async (_c, next) => {
    await next();
  };
}
