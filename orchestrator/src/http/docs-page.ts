// /docs: Swagger UI (the swagger-ui-dist package, served from node_modules: no CDN, works offline) rendering both OpenAPI documents.
import { createHash } from 'node:crypto';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveStatic } from '@hono/node-server/serve-static';
import { Hono, type MiddlewareHandler } from 'hono';
import { html } from 'hono/html';
import { contentSecurityPolicyWith } from '@sagaport/runtime';

/** The documents the page lists, in its definition picker; the first is shown first. */
export const documentedApis = [
  { url: '/openapi.json', name: 'Sagaport checkout API' },
  { url: '/api/admin/openapi.json', name: 'Sagaport admin API' },
] as const;

/** The renderer's files the page loads, under /docs/assets/; nothing else of its package is served. */
const rendererAssets = [
  'swagger-ui.css',
  'swagger-ui-bundle.js',
  'swagger-ui-standalone-preset.js',
  'favicon-32x32.png',
] as const;

/** Where npm put swagger-ui-dist. */
const rendererRoot = dirname(fileURLToPath(import.meta.resolve('swagger-ui-dist/package.json')));

/**
 * The one inline style the renderer writes: the `<style>` of the Swagger logo in its top bar (in
 * swagger-ui-standalone-preset.js). The page's policy allows exactly this text by its hash, and
 * no other inline style; a test checks the renderer still carries it.
 */
export const rendererLogoStyle = '.logo_small_svg__cls-2{fill:#fff}.logo_small_svg__cls-3{fill:#85ea2d}';
const docsPolicy = contentSecurityPolicyWith({
  styleSrc: [`'sha256-${createHash('sha256').update(rendererLogoStyle).digest('base64')}'`],
});

/**
 * Starts Swagger UI: served as a file so the page needs no inline script. No validator badge
 * (`validatorUrl: null`): it would send the document to validator.swagger.io.
 */
const initializer = `window.ui = SwaggerUIBundle({
  urls: ${JSON.stringify(documentedApis)},
  dom_id: '#swagger-ui',
  deepLinking: true,
  validatorUrl: null,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: 'StandaloneLayout',
});
`;

/** The HTML of /docs: no inline script or style, so it runs under the Content-Security-Policy. */
export function docsPage() {
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>Sagaport API docs</title>
        <link rel="icon" type="image/png" href="/docs/assets/favicon-32x32.png" />
        <link rel="stylesheet" href="/docs/assets/swagger-ui.css" />
      </head>
      <body>
        <div id="swagger-ui">
          <noscript>
            This page renders <a href="/openapi.json">/openapi.json</a> and
            <a href="/api/admin/openapi.json">/api/admin/openapi.json</a>.
          </noscript>
        </div>
        <script src="/docs/assets/swagger-ui-bundle.js"></script>
        <script src="/docs/assets/swagger-ui-standalone-preset.js"></script>
        <script src="/docs/init.js"></script>
      </body>
    </html>`;
}

/** One file of the renderer, from its package, typed by its extension; the package version pins its content. */
function rendererAsset(file: string): MiddlewareHandler {
  const serve = serveStatic({ root: rendererRoot, path: file });
  return async (c, next) => {
    c.header('Cache-Control', 'public, max-age=3600');
    return serve(c, next);
  };
}

/** `/docs`, its initializer and the renderer's files. */
export function docsRoutes(): Hono {
  const app = new Hono()
    .get('/docs', (c) => {
      c.header('Content-Security-Policy', docsPolicy);
      return c.html(docsPage());
    })
    .get('/docs/init.js', (c) =>
      c.body(initializer, 200, { 'Content-Type': 'text/javascript; charset=utf-8' }),
    );
  for (const file of rendererAssets) app.get(`/docs/assets/${file}`, rendererAsset(file));
  return app;
}
