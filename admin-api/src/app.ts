// The admin API under /api/admin: auth first, then every feature router behind the session check.
import { OpenAPIHono } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import {
  type BodyLimitRule,
  bodyLimits,
  httpErrorsAsProblems,
  problem,
  requestLogFields,
  securityHeaders,
} from '@sagaport/runtime';
import { analyticsRoutes } from './analytics/routes.js';
import { auditRoutes } from './audit/routes.js';
import { requireSession } from './auth/middleware.js';
import { authRoutes } from './auth/routes.js';
import { deadLetterRoutes } from './dead-letters/routes.js';
import { isStatementTimeout } from './database.js';
import { liveRoutes } from './live/routes.js';
import { liveSignals } from './live/signals.js';
import type { AdminDeps, AdminEnv } from './env.js';
import { validationHook } from './openapi.js';
import { projectionRoutes } from './projections/routes.js';
import { queueRoutes } from './queues/routes.js';
import { sagaRoutes } from './sagas/routes.js';
import { tokenRoutes } from './tokens/routes.js';

/**
 * The largest body each admin route accepts; 16 KiB elsewhere (small JSON commands). Sign-in is
 * unauthenticated, so it takes only what an email and a 1,024-character password need.
 */
export const adminBodyLimits: readonly BodyLimitRule[] = [
  { method: 'POST', path: /\/auth\/login$/, maxBytes: 8 * 1024 },
  // An edited message body to validate or replay.
  {
    method: 'POST',
    path: /\/dead-letters\/[^/]+\/(?:validate|replay|replay-preview)$/,
    maxBytes: 1024 * 1024,
  },
  // Up to 10,000 dead-letter ids.
  { method: 'POST', path: /\/(?:replay-jobs|dead-letters\/replay-preview)$/, maxBytes: 512 * 1024 },
];
const ADMIN_DEFAULT_MAX_BODY_BYTES = 16 * 1024;

/** Builds the admin API; mount it at `/api/admin`. */
export function createAdminApp(deps: AdminDeps): OpenAPIHono<AdminEnv> {
  const app = new OpenAPIHono<AdminEnv>({ defaultHook: validationHook });
  // nosniff and friends: answers are JSON and must never be rendered as HTML.
  app.use('*', securityHeaders());
  // Before anything reads a body: the unauthenticated login too.
  app.use('*', bodyLimits(adminBodyLimits, ADMIN_DEFAULT_MAX_BODY_BYTES));
  // Outermost after the limits: it runs once the route answered (its transaction committed).
  app.use('*', liveSignals(deps));
  app.route('/', authRoutes(deps));
  // Before the global gate: viewers may manage their own tokens, which that gate would refuse.
  app.route('/', tokenRoutes(deps));
  app.use('*', requireSession(deps));
  app.route('/', deadLetterRoutes(deps));
  app.route('/', sagaRoutes(deps));
  app.route('/', queueRoutes(deps));
  app.route('/', projectionRoutes(deps));
  app.route('/', analyticsRoutes(deps));
  app.route('/', auditRoutes(deps));
  app.route('/', liveRoutes(deps));
  app.notFound((c) =>
    problem(c, { title: 'Not found', status: 404, detail: `no admin route ${c.req.path}` }),
  );
  app.onError((error, c) => {
    // Malformed JSON (400) and a wrong media type (415) keep their status, as problems.
    if (error instanceof HTTPException) return httpErrorsAsProblems(error, c);
    if (isStatementTimeout(error)) {
      deps.logger.warn(
        { path: c.req.path, ...requestLogFields(c) },
        'admin query cancelled by its statement timeout',
      );
      return problem(c, {
        title: 'Query took too long',
        status: 503,
        detail: `The database gave up after ${deps.settings.statementTimeoutMs} ms. Narrow the filter (a time range, a queue or type, a longer search text) and try again.`,
      });
    }
    deps.logger.error({ err: error, path: c.req.path, ...requestLogFields(c) }, 'admin API error');
    return problem(c, {
      title: 'Internal error',
      status: 500,
      detail: 'The server failed; the orchestrator log has the details.',
    });
  });
  return app;
}
