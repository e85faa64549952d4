// /docs: Swagger UI from its npm package under the project's security headers, listing both OpenAPI documents.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { docsRoutes, rendererLogoStyle } from './docs-page.js';
import { securityHeaders } from '@sagaport/runtime';

const app = new Hono().use('*', securityHeaders()).route('/', docsRoutes());

describe('/docs', () => {
  it('loads only files of its own origin, no inline script, and lists both documents', async () => {
    const page = await app.request('/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
    expect(scripts.map(([, attributes]) => /\bsrc="([^"]+)"/.exec(attributes!)?.[1])).toEqual([
      '/docs/assets/swagger-ui-bundle.js',
      '/docs/assets/swagger-ui-standalone-preset.js',
      '/docs/init.js',
    ]);
    for (const [, , content] of scripts) expect(content!.trim()).toBe('');
    expect(html).not.toMatch(/<style\b|\sstyle=|https?:\/\//);
    const init = await (await app.request('/docs/init.js')).text();
    expect(init).toContain('"url":"/openapi.json"');
    expect(init).toContain('"url":"/api/admin/openapi.json"');
    expect(init).toContain('validatorUrl: null');
  });

  it('serves the renderer’s files from node_modules with their types and the security headers', async () => {
    const assets = {
      '/docs/init.js': /^text\/javascript/,
      '/docs/assets/swagger-ui-bundle.js': /^text\/javascript/,
      '/docs/assets/swagger-ui-standalone-preset.js': /^text\/javascript/,
      '/docs/assets/swagger-ui.css': /^text\/css/,
      '/docs/assets/favicon-32x32.png': /^image\/png$/,
    };
    for (const [path, type] of Object.entries(assets)) {
      const response = await app.request(path);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
      expect(response.headers.get('content-type'), path).toMatch(type);
      expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
      expect((await response.arrayBuffer()).byteLength, path).toBeGreaterThan(100);
    }
    expect((await app.request('/docs/assets/package.json')).status).toBe(404);
    expect((await app.request('/docs/assets/../package.json')).status).toBe(404);
  });

  it('allows the page one inline style, the renderer’s logo, by its hash; every other response keeps the base policy', async () => {
    const docs = (await app.request('/docs')).headers.get('content-security-policy') ?? '';
    const base = (await app.request('/docs/init.js')).headers.get('content-security-policy') ?? '';
    expect(base).toMatch(/style-src 'self';/);
    expect(docs).toMatch(/style-src 'self' 'sha256-[A-Za-z0-9+/]+=*';/);
    expect(docs.replace(/ 'sha256-[^']+'/, '')).toBe(base);
    expect(docs).not.toMatch(/unsafe-inline|unsafe-eval/);
    // The hash is of the style the installed renderer writes: an upgrade that changes it fails here.
    const preset = fileURLToPath(import.meta.resolve('swagger-ui-dist/swagger-ui-standalone-preset.js'));
    expect(readFileSync(preset, 'utf8')).toContain(rendererLogoStyle);
  });
});
