// POST /auth/login, POST /auth/logout, GET /auth/me: the session lifecycle (mounted before the session gate).
import { createRoute } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AdminDeps } from '../env.js';
import { adminRouter, problems } from '../openapi.js';
import { routeProblem } from '@sagaport/runtime';
import { csrfRefused, notSignedIn } from './middleware.js';
import { clientAddress, type TrustedProxies } from './client-address.js';
import { LoginBodySchema, SessionSchema } from './schemas.js';
import { clearSessionCookie, csrfMatches, loadSession, setSessionCookie } from './session.js';
import { checkCredentials, closeSession, openSession, recordFailedLogin } from './sign-in.js';
import type { AttemptDecision, LoginThrottle } from './throttle.js';

const loginRoute = createRoute({
  method: 'post',
  path: '/auth/login',
  tags: ['auth'],
  summary: 'Sign in; sets the session cookie',
  request: { body: { required: true, content: { 'application/json': { schema: LoginBodySchema } } } },
  responses: {
    200: { description: 'Signed in', content: { 'application/json': { schema: SessionSchema } } },
    ...problems(401, 422, 429),
  },
});

const logoutRoute = createRoute({
  method: 'post',
  path: '/auth/logout',
  tags: ['auth'],
  summary: 'Sign out; ends the session (needs X-CSRF-Token)',
  responses: { 204: { description: 'Signed out' }, ...problems(401, 403) },
});

const meRoute = createRoute({
  method: 'get',
  path: '/auth/me',
  tags: ['auth'],
  summary: 'The signed-in user and the CSRF token',
  responses: {
    200: { description: 'The session', content: { 'application/json': { schema: SessionSchema } } },
    ...problems(401),
  },
});

/** What guards the login: the shared throttle and the proxies whose forwarded addresses are believed. */
export interface LoginDefences {
  readonly throttle: LoginThrottle;
  readonly proxies: TrustedProxies;
}

/** 429 problem with `Retry-After` for a refused attempt. */
export function tooManyAttempts(c: Context, decision: Extract<AttemptDecision, { allowed: false }>): never {
  c.header('Retry-After', String(decision.retryAfterSeconds));
  return routeProblem(c, {
    title: 'Too many login attempts',
    status: 429,
    detail: `Wait ${decision.retryAfterSeconds} seconds before trying again.`,
  });
}

function invalidCredentials(c: Context): never {
  return routeProblem(c, {
    title: 'Invalid email or password',
    status: 401,
    detail: 'Check the email and password and try again.',
  });
}

/** The session routes; `defences()` throttles logins per account and per client address. */
export function sessionRoutes(deps: AdminDeps, defences: () => LoginDefences) {
  return adminRouter()
    .openapi(loginRoute, async (c) => {
      const { db } = deps.database;
      const { throttle, proxies } = defences();
      const body = c.req.valid('json');
      const email = body.email.toLowerCase();
      const address = clientAddress(c, proxies);
      const decision = await throttle.attempt(email, address);
      if (!decision.allowed) return tooManyAttempts(c, decision);
      const check = await checkCredentials(db, email, body.password);
      if (!check.ok) {
        await recordFailedLogin(db, check, address);
        return invalidCredentials(c);
      }
      await throttle.succeeded(email, address);
      const ttlHours = deps.settings.sessionTtlHours;
      const session = await openSession(db, check.userId, {
        ttlHours,
        userAgent: c.req.header('user-agent'),
        address,
      });
      setSessionCookie(c, session.token, ttlHours);
      return c.json({ user: session.user, csrfToken: session.csrfToken }, 200);
    })
    .openapi(logoutRoute, async (c) => {
      const session = await loadSession(deps.database.db, c, deps.settings.sessionIdleMinutes);
      if (!session) return notSignedIn(c);
      if (!csrfMatches(c, session)) return csrfRefused(c);
      await closeSession(deps.database.db, session);
      clearSessionCookie(c);
      return c.body(null, 204);
    })
    .openapi(meRoute, async (c) => {
      const session = await loadSession(deps.database.db, c, deps.settings.sessionIdleMinutes);
      if (!session) return notSignedIn(c);
      return c.json({ user: session.user, csrfToken: session.csrfToken }, 200);
    });
}
