// The gate in front of every admin route: a live session or API token, and for mutations the role (and a session's CSRF token).
import type { Context, MiddlewareHandler } from 'hono';
import type { AdminRole } from '@sagaport/db';
import type { Actor, AdminDeps, AdminEnv, Credential } from '../env.js';
import { authenticateToken, bearerToken, tokenScopeRefused } from '../tokens/authenticate.js';
import { routeProblem } from '@sagaport/runtime';
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
    detail:
      'Sign in with POST /api/admin/auth/login; the session may have expired, been idle too long or been revoked.',
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

/** 403 problem for a caller without the operator role. */
export function operatorRequired(c: Context): never {
  return routeProblem(c, {
    title: 'Operator role required',
    status: 403,
    detail:
      'Your account may only read. Ask an operator to make this change or to give you the operator role.',
  });
}

/** Who is calling and how they proved it, or a problem response to send instead. */
type Authentication =
  | { readonly ok: true; readonly actor: Actor; readonly credential: Credential }
  | { readonly ok: false; readonly refuse: (c: Context) => never };

/**
 * Finds the caller's credential: `Authorization: Bearer` is an API token (acting with its scope;
 * no CSRF token, since browsers never send that header on their own); otherwise the console
 * session cookie, whose mutations must carry its CSRF token.
 */
async function authenticate(deps: AdminDeps, c: Context): Promise<Authentication | Response> {
  const bearer = bearerToken(c);
  if (bearer !== undefined) {
    const actor = await authenticateToken(deps, c, bearer);
    if (actor instanceof Response) return actor;
    return { ok: true, actor, credential: { kind: 'token', tokenId: actor.token!.id } };
  }
  const session = await loadSession(deps.database.db, c, deps.settings.sessionIdleMinutes);
  if (!session) return { ok: false, refuse: notSignedIn };
  if (isMutation(c.req.method) && !csrfMatches(c, session)) return { ok: false, refuse: csrfRefused };
  return { ok: true, actor: actorOf(session.user), credential: { kind: 'session', sessionId: session.id } };
}

/**
 * Who may make changes behind a gate: operators (the default), or anyone signed in, when the
 * route checks what each role may do itself (their own account, their own API tokens).
 */
export interface GateOptions {
  readonly mutationsBy?: AdminRole | 'anyone';
}

/**
 * The session gate: 401 without a credential; on mutations 403 without the CSRF token and, unless
 * `mutationsBy: 'anyone'`, 403 for viewers. Sets `actor` and `credential`.
 */
export function requireSession(deps: AdminDeps, options: GateOptions = {}): MiddlewareHandler<AdminEnv> {
  const mutationsBy = options.mutationsBy ?? 'operator';
  return async (c, next) => {
    const auth = await authenticate(deps, c);
    if (auth instanceof Response) return auth;
    if (!auth.ok) return auth.refuse(c);
    if (isMutation(c.req.method) && mutationsBy !== 'anyone' && auth.actor.role !== mutationsBy) {
      // A token's refusal is audited: a narrow token used for a change is worth knowing about.
      if (auth.credential.kind === 'token') return tokenScopeRefused(deps, c, auth.actor);
      return operatorRequired(c);
    }
    c.set('actor', auth.actor);
    c.set('credential', auth.credential);
    await next();
  };
}

/** After the gate: 403 unless the actor is an operator, for reads that only operators may make. */
export function requireOperator(): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    if (c.get('actor').role !== 'operator') return operatorRequired(c);
    await next();
  };
}
