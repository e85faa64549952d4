// The one OpenAPI generator of both APIs: a router's route definitions, with derived operation ids and each operation's security.
import { OpenAPIHono } from '@hono/zod-openapi';
import type { Env } from 'hono';

/** The document's header (openapi, info, servers, top-level security); the paths come from the routes. */
export type OpenApiDocumentHeader = Parameters<OpenAPIHono['getOpenAPI31Document']>[0];

/** A generated document. */
export type OpenApiDocument = ReturnType<OpenAPIHono['getOpenAPI31Document']>;

/** A security requirement: scheme name → scopes. */
export type SecurityRequirement = Record<string, string[]>;

export interface OpenApiDocumentOptions {
  readonly header: OpenApiDocumentHeader;
  /** Where the router is mounted (`/api/admin`); the document's paths include it. */
  readonly prefix?: string;
  /** Added to `components.securitySchemes`. */
  readonly securitySchemes?: NonNullable<NonNullable<OpenApiDocument['components']>['securitySchemes']>;
  /** The security of one operation (`get`, `/api/admin/sagas`); undefined leaves it unset. */
  readonly securityOf?: (method: string, path: string) => SecurityRequirement[] | undefined;
}

type Operation = { operationId?: string; security?: SecurityRequirement[] };

/** `post /api/admin/dead-letters/{id}/replay` under `/api/admin` → `postDeadLettersByIdReplay`: stable, unique per route. */
export function derivedOperationId(method: string, path: string, prefix = ''): string {
  const words = path
    .slice(path.startsWith(`${prefix}/`) ? prefix.length + 1 : 0)
    .split(/[/-]/)
    .filter(Boolean)
    .map((part) => (part.startsWith('{') ? `by-${part.slice(1, -1)}` : part))
    .flatMap((part) => part.split('-'))
    .map((word) => word.charAt(0).toUpperCase() + word.slice(1));
  return `${method}${words.join('')}`;
}

/**
 * The OpenAPI 3.1 document of `app`'s routes, generated from the zod schemas that validate their
 * requests. Every operation without an `operationId` gets one derived from its method and path.
 */
export function openApiDocumentOf<E extends Env>(app: OpenAPIHono<E>, options: OpenApiDocumentOptions) {
  const { header, prefix, securitySchemes, securityOf } = options;
  const mounted = prefix ? new OpenAPIHono().route(prefix, app as unknown as OpenAPIHono) : app;
  const document = mounted.getOpenAPI31Document(header);
  if (securitySchemes) {
    document.components = {
      ...document.components,
      securitySchemes: { ...document.components?.securitySchemes, ...securitySchemes },
    };
  }
  for (const [path, item] of Object.entries(document.paths ?? {})) {
    for (const [method, value] of Object.entries(item ?? {})) {
      if (typeof value !== 'object' || value === null || !('responses' in value)) continue;
      const operation = value as Operation;
      operation.operationId ??= derivedOperationId(method, path, prefix);
      const security = securityOf?.(method, path);
      if (security) operation.security = security;
    }
  }
  return document;
}
