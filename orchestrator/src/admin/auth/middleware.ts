// The gate in front of every admin route: a live session or API token, and for mutations the operator role (and a session's CSRF token).
import type { Context, MiddlewareHandler } from 'hono';
import { problem } from '../../http/problem.js';
import type { AdminDeps, AdminEnv } from '../env.js';
import { authenticateToken, bearerToken, tokenScopeRefused } from '../tokens/authenticate.js';
import { routeProblem } from './errors.js';
import { actorOf, CSRF_HEADER, csrfMatches, loadSession } from './session.js';

/** Methods that change nothing and so need neither the operator role nor the CSRF token. */
const SAFE_METHODS = new Set(['GET', 'HEAD']);

/** True for any method but GET/HEAD: those need the operator role and the CSRF token. */
export function isMutation(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/** 401 problem for a request without a live session. */
export function notSignedIn(c: Context): never {
  return routeProblem(c, {
    title: 'Not signed in',
    status: 401,
    detail: 'Sign in with POST /api/admin/auth/login; the session may have expired or been signed out.',
  });
}

/** 403 problem for a mutation without the session's CSRF token. */
export function csrfRefused(c: Context): never {
  return routeProblem(c, {
    title: 'CSRF token missing or wrong',
    status: 403,
    detail: `Send the csrfToken from login or GET /api/admin/auth/me in the ${CSRF_HEADER} header.`,
  });
}

/** Options of {@link requireSession}. */
export interface GateOptions {
  /** Lets viewers through on mutations too: the route checks what each role may do (API tokens). */
  readonly viewersMayMutate?: boolean;
}

/**
 * Authenticates the request; 401 without credentials. `Authorization: Bearer` is an API token
 * (acting with its scope; no CSRF token, since browsers never send it on their own); otherwise
 * the session cookie. On mutations 403 for viewers and, for sessions, without a CSRF token.
 */
export function requireSession(deps: AdminDeps, options: GateOptions = {}): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    const bearer = bearerToken(c);
    if (bearer !== undefined) {
      const actor = await authenticateToken(deps, c, bearer);
      if (actor instanceof Response) return actor;
      if (isMutation(c.req.method) && !options.viewersMayMutate && actor.role !== 'operator') {
        return tokenScopeRefused(deps, c, actor);
      }
      c.set('actor', actor);
      await next();
      return;
    }
    const session = await loadSession(deps.database.db, c);
    if (!session) return notSignedIn(c);
    if (isMutation(c.req.method)) {
      if (session.user.role !== 'operator' && !options.viewersMayMutate) {
        return problem(c, {
          title: 'Operator role required',
          status: 403,
          detail:
            'Your account may only read. Ask an operator to make this change or to give you the operator role.',
        });
      }
      if (!csrfMatches(c, session)) return csrfRefused(c);
    }
    c.set('actor', actorOf(session.user));
    await next();
  };
}
