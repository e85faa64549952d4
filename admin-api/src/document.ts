// The admin API's OpenAPI document: the paths from the routers, plus the rules every route shares (security, servers, ids).
import type { OpenAPIHono } from '@hono/zod-openapi';
import { openApiDocumentOf, type OpenApiDocumentHeader, type SecurityRequirement } from '@sagaport/runtime';
import { SESSION_COOKIE } from './auth/session.js';
import type { AdminEnv } from './env.js';

/** The document's header; the paths come from the routers. */
export const adminDocument: OpenApiDocumentHeader = {
  openapi: '3.1.0',
  info: {
    title: 'Sagaport admin API',
    version: '1.0.0',
    description:
      'Dead letters, replay, sagas, queues and the audit log, for the Sagaport console. Sign in with ' +
      '`POST /api/admin/auth/login`: it sets the session cookie and returns a CSRF token, which every ' +
      'other POST sends back in `X-CSRF-Token`.',
  },
  servers: [{ url: '/', description: 'The orchestrator serving this document (the console’s origin)' }],
};

/** How a caller proves who it is: the session cookie, and for mutations the CSRF token of that session. */
export const adminSecuritySchemes = {
  sessionCookie: {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: 'Set by POST /api/admin/auth/login (HttpOnly, SameSite=Strict).',
  },
  csrfToken: {
    type: 'apiKey',
    in: 'header',
    name: 'X-CSRF-Token',
    description: 'The `csrfToken` of the sign-in answer; required on every POST but the sign-in.',
  },
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    description:
      'An API token (`sgp_…`) from POST /api/admin/tokens; acts with its scope and needs no CSRF token.',
  },
} as const;

/** Routes that need no session: signing in. */
const PUBLIC_OPERATIONS = new Set(['post /api/admin/auth/login']);
/** Routes about the console session itself, which an API token cannot use. */
const SESSION_ONLY = new Set(['get /api/admin/auth/me', 'post /api/admin/auth/logout']);
const READ_METHODS = new Set(['get', 'head']);

/** A session (with its CSRF token on changes), or an API token; /auth/me and /auth/logout concern the session itself. */
function adminSecurityOf(method: string, path: string): SecurityRequirement[] {
  const key = `${method} ${path}`;
  const session: SecurityRequirement = READ_METHODS.has(method)
    ? { sessionCookie: [] }
    : { sessionCookie: [], csrfToken: [] };
  if (PUBLIC_OPERATIONS.has(key)) return [];
  return SESSION_ONLY.has(key) ? [session] : [session, { bearerAuth: [] }];
}

/** The OpenAPI document of the admin API (paths prefixed with /api/admin). */
export function adminOpenApiDocument(app: OpenAPIHono<AdminEnv>) {
  return openApiDocumentOf(app, {
    header: adminDocument,
    prefix: '/api/admin',
    securitySchemes: adminSecuritySchemes,
    securityOf: adminSecurityOf,
  });
}
