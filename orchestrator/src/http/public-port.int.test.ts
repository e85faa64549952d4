// What the public port answers beyond its routes: body limits, security headers, unknown paths, no metrics.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import { healthRoutes } from '@sagaport/runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestSession, type TestSession } from '@sagaport/admin-api/testing';
import { startTestStack, type TestStack } from '../test-support/stack.js';

const MiB = 1024 * 1024;

/** A console build stand-in: the real build is checked in the browser tests (e2e). */
function fakeConsole(): string {
  const root = mkdtempSync(join(tmpdir(), 'sagaport-console-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(
    join(root, 'index.html'),
    '<!doctype html><title>console</title><script type="module" src="/assets/app.js"></script>',
  );
  writeFileSync(join(root, 'assets', 'app.js'), 'console.log("console");');
  return root;
}

/**
 * Streams `totalBytes` of JSON-ish filler (chunked, no Content-Length) to `path` and reports the
 * answer and how many bytes the server had pulled when it answered: a refused body stops early.
 */
async function streamBody(
  base: string,
  path: string,
  totalBytes: number,
  headers: Record<string, string> = {},
) {
  const chunk = new Uint8Array(64 * 1024).fill(0x20);
  let pulled = 0;
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (pulled >= totalBytes) return controller.close();
      pulled += chunk.length;
      controller.enqueue(chunk);
    },
  });
  const abort = new AbortController();
  const response = await fetch(`${base}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
    duplex: 'half',
    signal: abort.signal,
  });
  const answered = pulled;
  const text = await response.text();
  abort.abort();
  return { status: response.status, type: response.headers.get('content-type'), text, pulled: answered };
}

/** Declares a `declaredBytes` Content-Length, sends one small chunk, and waits for an answer (or times out). */
function declareLargeBody(
  port: number,
  path: string,
  declaredBytes: number,
  headers: Record<string, string> = {},
) {
  return new Promise<{ status: number; type: string | undefined }>((resolve, reject) => {
    const req = httpRequest({
      host: '127.0.0.1',
      port,
      path,
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': String(declaredBytes), ...headers },
    });
    const timer = setTimeout(() => {
      req.destroy();
      reject(
        new Error(`no answer within 5 s to a declared ${declaredBytes}-byte body: the server waits for it`),
      );
    }, 5_000);
    req.on('response', (res) => {
      clearTimeout(timer);
      res.resume();
      resolve({ status: res.statusCode ?? 0, type: res.headers['content-type'] });
      req.destroy();
    });
    req.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    req.write('{"email":"');
  });
}

describe('the public port (real PostgreSQL and RabbitMQ)', () => {
  let stack: TestStack;
  let server: ServerType;
  let port: number;
  let base: string;
  let consoleRoot: string;
  let operator: TestSession;

  beforeAll(async () => {
    consoleRoot = fakeConsole();
    stack = await startTestStack({}, {}, { consoleRoot });
    operator = await createTestSession(stack.database.db, stack.orchestrator.app, 'operator');
    server = serve({ fetch: stack.orchestrator.app.fetch, port: 0, hostname: '127.0.0.1' });
    await new Promise((resolve) => server.once('listening', resolve));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    server?.close();
    await stack?.cleanup();
    rmSync(consoleRoot, { recursive: true, force: true });
  });

  describe('body limits', () => {
    it('refuses a declared 20 MB login and checkout with 413 problem before reading the body', async () => {
      for (const path of ['/api/admin/auth/login', '/checkouts']) {
        const answer = await declareLargeBody(port, path, 20 * MiB, { 'idempotency-key': randomUUID() });
        expect({ path, ...answer }).toEqual({ path, status: 413, type: 'application/problem+json' });
      }
    });

    it('stops reading a streamed (chunked) 32 MB login or checkout at its limit: 413 problem, the rest never pulled', async () => {
      for (const path of ['/api/admin/auth/login', '/checkouts']) {
        const answer = await streamBody(base, path, 32 * MiB, { 'idempotency-key': randomUUID() });
        expect({ path, status: answer.status, type: answer.type }).toEqual({
          path,
          status: 413,
          type: 'application/problem+json',
        });
        expect(JSON.parse(answer.text)).toMatchObject({ status: 413, errors: [{ field: '(body)' }] });
        // The limit is kilobytes; what was pulled beyond it sat in socket buffers, never in the app.
        expect(answer.pulled, `${path}: bytes pulled before the answer`).toBeLessThan(8 * MiB);
      }
    });

    it('gives every admin route with a body a limit: 2 MB is refused with 413 everywhere', async () => {
      const doc = (await (await stack.orchestrator.app.request('/api/admin/openapi.json')).json()) as {
        paths: Record<string, Record<string, { requestBody?: unknown }>>;
      };
      const answers: Record<string, number> = {};
      for (const [path, methods] of Object.entries(doc.paths)) {
        for (const [method, op] of Object.entries(methods)) {
          if (method === 'get') continue;
          const url = path.replace(/\{[^}]+\}/g, () => randomUUID());
          const response = await stack.orchestrator.app.request(url, {
            method: method.toUpperCase(),
            headers: {
              cookie: operator.cookie,
              'x-csrf-token': operator.csrfToken,
              'content-type': 'application/json',
            },
            body: JSON.stringify({ ids: [], padding: 'x'.repeat(2 * MiB) }),
          });
          answers[`${method} ${path}${op.requestBody ? '' : ' (no body declared)'}`] = response.status;
        }
      }
      expect(Object.keys(answers).length).toBeGreaterThan(3);
      expect(answers).toEqual(Object.fromEntries(Object.keys(answers).map((k) => [k, 413])));
    });

    it('lets a sign-in of ordinary size through to the credential check (401, not 413)', async () => {
      const login = await stack.orchestrator.app.request('/api/admin/auth/login', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ email: 'nobody@sagaport.test', password: 'wrong-password' }),
      });
      expect(login.status).toBe(401);
    });
  });

  describe('security headers', () => {
    it('sends a CSP without inline script, no framing, nosniff and a referrer policy on pages, assets, docs and APIs', async () => {
      const paths = [
        '/',
        '/sagas/x',
        '/assets/app.js',
        '/docs',
        '/docs/init.js',
        '/docs/assets/swagger-ui-bundle.js',
        '/openapi.json',
        '/checkouts/x',
        '/api/admin/sagas',
      ];
      for (const path of paths) {
        const response = await stack.orchestrator.app.request(path, { headers: { accept: 'text/html,*/*' } });
        const csp = response.headers.get('content-security-policy') ?? '';
        expect(csp, path).toMatch(/frame-ancestors 'none'/);
        expect(csp, path).toMatch(/script-src 'self'(;|$)/);
        expect(csp, path).not.toMatch(/unsafe-inline|unsafe-eval/);
        expect(response.headers.get('x-content-type-options'), path).toBe('nosniff');
        expect(response.headers.get('x-frame-options'), path).toBe('DENY');
        expect(response.headers.get('referrer-policy'), path).toBe('no-referrer');
      }
    });

    it('serves /docs without inline script or style: its script and styles are files', async () => {
      const html = await (await stack.orchestrator.app.request('/docs')).text();
      const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
      expect(scripts.length).toBeGreaterThan(0);
      for (const [, attributes, content] of scripts) {
        expect(attributes).toMatch(/\bsrc="\/docs\//);
        expect(content!.trim()).toBe('');
      }
      expect(html).not.toMatch(/<style\b|\sstyle=/);
      const script = await stack.orchestrator.app.request('/docs/init.js');
      expect(script.headers.get('content-type')).toMatch(/^text\/javascript/);
      expect(await script.text()).toContain('"url":"/api/admin/openapi.json"');
    });
  });

  describe('unknown paths', () => {
    it('answers every unknown API path with a problem+json 404, even to a browser asking for HTML', async () => {
      const answers: Record<string, string> = {};
      const unknown = [
        '/api',
        '/api/',
        '/api/nope',
        '/api/v2/checkouts',
        '/api/admin/nope',
        '/checkouts/a/b',
      ];
      for (const path of unknown) {
        for (const accept of ['text/html,application/xhtml+xml,*/*;q=0.8', 'application/json', '*/*']) {
          const response = await stack.orchestrator.app.request(path, {
            headers: { accept, cookie: operator.cookie },
          });
          const body =
            response.headers.get('content-type') === 'application/problem+json'
              ? ((await response.json()) as { status: number }).status
              : `not a problem: ${response.headers.get('content-type')}`;
          answers[`${path} (${accept.slice(0, 9)})`] = `${response.status} ${body}`;
        }
      }
      expect(answers).toEqual(Object.fromEntries(Object.keys(answers).map((k) => [k, '404 404'])));
    });

    it('answers the console page URLs with index.html to a browser, and a missing asset with a problem 404', async () => {
      const page = await stack.orchestrator.app.request('/dead-letters/123', {
        headers: { accept: 'text/html' },
      });
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('<title>console</title>');
      const asset = await stack.orchestrator.app.request('/assets/missing.js');
      expect(asset.status).toBe(404);
      expect(asset.headers.get('content-type')).toBe('application/problem+json');
    });
  });

  describe('metrics', () => {
    it('serves no /metrics on the public port; the metrics address has them', async () => {
      const publicMetrics = await stack.orchestrator.app.request('/metrics');
      expect(publicMetrics.status).toBe(404);
      expect(await publicMetrics.text()).not.toContain('sagaport_');
      expect((await stack.orchestrator.app.request('/readyz')).status).toBe(200);
      const metricsApp = healthRoutes(stack.orchestrator.readiness, stack.orchestrator.metrics.registry);
      const text = await (await metricsApp.request('/metrics')).text();
      expect(text).toMatch(/^sagaport_outbox_backlog\{service="orchestrator"\} \d+$/m);
    });
  });
});
