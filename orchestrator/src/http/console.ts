// The built console (admin-ui/dist): its files as they are, and index.html for the console's page URLs.
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type MiddlewareHandler } from 'hono';

/**
 * Where the console's build is, as the `@sagaport/admin-ui` package exports it (`dist/*`), or
 * undefined when the package or its build is missing (an API-only install, a tree not built yet).
 * Resolved through the package, so it holds wherever npm put it, in a checkout or an image.
 */
export function consoleBuildRoot(): string | undefined {
  let index: string;
  try {
    index = fileURLToPath(import.meta.resolve('@sagaport/admin-ui/dist/index.html'));
  } catch {
    return undefined;
  }
  // The resolver maps the path through the package's exports; it does not look for the file.
  return existsSync(index) ? dirname(index) : undefined;
}

/** Paths that belong to an API: never answered with the console's index.html. */
const API_PREFIXES = ['/api', '/checkouts'];

/** Whether `path` is an API path (`/api`, `/api/…`, `/checkouts`, `/checkouts/…`). */
export function isApiPath(path: string): boolean {
  return API_PREFIXES.some((prefix) => path === prefix || path.startsWith(`${prefix}/`));
}

/**
 * Serves the console from `root` (an absolute path to the build). The console routes in the
 * browser: a page request (Accept: text/html) for a deep link like /sagas/… gets index.html; API
 * paths and missing assets fall through to the app's problem+json 404.
 */
export function consoleRoutes(root: string): Hono {
  const files: MiddlewareHandler = serveStatic({ root });
  const page: MiddlewareHandler = serveStatic({ root, path: 'index.html' });
  const file: MiddlewareHandler = (c, next) => (isApiPath(c.req.path) ? next() : files(c, next));
  const pageForBrowser: MiddlewareHandler = (c, next) =>
    isApiPath(c.req.path) || !c.req.header('accept')?.includes('text/html') ? next() : page(c, next);
  return new Hono().use('*', file).get('*', pageForBrowser);
}
