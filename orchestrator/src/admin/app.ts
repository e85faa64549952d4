// The admin API under /api/admin: auth first, then every feature router behind the session check.
import { OpenAPIHono } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { secureHeaders } from 'hono/secure-headers';
import { problem } from '../http/problem.js';
import { httpErrorsAsProblems } from './auth/errors.js';
import { auditRoutes } from './audit/routes.js';
import { requireSession } from './auth/middleware.js';
import { authRoutes } from './auth/routes.js';
import { deadLetterRoutes } from './dead-letters/routes.js';
import { isStatementTimeout } from './database.js';
import type { AdminDeps, AdminEnv } from './env.js';
import { validationHook } from './openapi.js';
import { queueRoutes } from './queues/routes.js';
import { sagaRoutes } from './sagas/routes.js';
import { SESSION_COOKIE } from './auth/session.js';
import { tokenRoutes } from './tokens/routes.js';

/** The OpenAPI document's header; the paths come from the routers. */
export const adminDocument = {
  openapi: '3.1.0',
  info: {
    title: 'Sagaport admin API',
    version: '1.0.0',
    description: 'Dead letters, replay, sagas, queues and the audit log, for the Sagaport console.',
  },
} as const;

/** Builds the admin API; mount it at `/api/admin`. */
export function createAdminApp(deps: AdminDeps): OpenAPIHono<AdminEnv> {
  const app = new OpenAPIHono<AdminEnv>({ defaultHook: validationHook });
  // nosniff and friends: answers are JSON and must never be rendered as HTML.
  app.use('*', secureHeaders());
  app.openAPIRegistry.registerComponent('securitySchemes', 'sessionCookie', {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'The console session from POST /auth/login; mutations also need its X-CSRF-Token header.',
  });
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token (`sgp_…`) from POST /tokens; acts with its scope and needs no CSRF token.',
  });
  app.route('/', authRoutes(deps));
  // Before the global gate: viewers may manage their own tokens, which that gate would refuse.
  app.route('/', tokenRoutes(deps));
  app.use('*', requireSession(deps));
  app.route('/', deadLetterRoutes(deps));
  app.route('/', sagaRoutes(deps));
  app.route('/', queueRoutes(deps));
  app.route('/', auditRoutes(deps));
  app.notFound((c) =>
    problem(c, { title: 'Not found', status: 404, detail: `no admin route ${c.req.path}` }),
  );
  app.onError((error, c) => {
    // Malformed JSON (400) and a wrong media type (415) keep their status, as problems.
    if (error instanceof HTTPException) return httpErrorsAsProblems(error, c);
    if (isStatementTimeout(error)) {
      deps.logger.warn({ path: c.req.path }, 'admin query cancelled by its statement timeout');
      return problem(c, {
        title: 'Query took too long',
        status: 503,
        detail: `The database gave up after ${deps.settings.statementTimeoutMs} ms. Narrow the filter (a time range, a queue or type, a longer search text) and try again.`,
      });
    }
    deps.logger.error({ err: error, path: c.req.path }, 'admin API error');
    return problem(c, {
      title: 'Internal error',
      status: 500,
      detail: 'The server failed; the orchestrator log has the details.',
    });
  });
  return app;
}

/** The OpenAPI document of the admin API (paths prefixed with /api/admin). */
export function adminOpenApiDocument(app: OpenAPIHono<AdminEnv>) {
  const outer = new OpenAPIHono().route('/api/admin', app);
  return outer.getOpenAPI31Document(adminDocument);
}
