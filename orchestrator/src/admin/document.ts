// The admin API's OpenAPI document: the paths from the routers, plus the rules every route shares (security, servers, ids).
import { OpenAPIHono } from '@hono/zod-openapi';
import { SESSION_COOKIE } from './auth/session.js';
import type { AdminEnv } from './env.js';

/** The document's header; the paths come from the routers. */
export const adminDocument: Parameters<OpenAPIHono['getOpenAPI31Document']>[0] = {
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

type Operation = { operationId?: string; security?: Record<string, string[]>[] };

/** `post /api/admin/dead-letters/{id}/replay` → `postDeadLettersByIdReplay`: stable, unique per route. */
function derivedOperationId(method: string, path: string): string {
  const words = path
    .replace(/^\/api\/admin\//, '')
    .split(/[/-]/)
    .filter(Boolean)
    .map((part) => (part.startsWith('{') ? `by-${part.slice(1, -1)}` : part))
    .flatMap((part) => part.split('-'))
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1));
  return `${method}${words.join('')}`;
}

/** The OpenAPI document of the admin API (paths prefixed with /api/admin). */
export function adminOpenApiDocument(app: OpenAPIHono<AdminEnv>) {
  const outer = new OpenAPIHono().route('/api/admin', app);
  const document = outer.getOpenAPI31Document(adminDocument);
  document.components = {
    ...document.components,
    securitySchemes: { ...document.components?.securitySchemes, ...adminSecuritySchemes },
  };
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, value] of Object.entries(item ?? {})) {
      if (typeof value !== 'object' || value === null || !('responses' in value)) continue;
      const operation = value as Operation;
      operation.operationId ??= derivedOperationId(method, path);
      const key = `${method} ${path}`;
      // A session (with its CSRF token on changes), or an API token; /auth/me and /auth/logout
      // concern the session itself.
      const session: Record<string, string[]> = READ_METHODS.has(method)
        ? { sessionCookie: [] }
        : { sessionCookie: [], csrfToken: [] };
      operation.security = PUBLIC_OPERATIONS.has(key)
        ? []
        : SESSION_ONLY.has(key)
          ? [session]
          : [session, { bearerAuth: [] }];
    }
  }
  return document;
}
