// Renders a piece of the console with its providers, a fixed user and a fake admin API.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query';
import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import { vi } from 'vitest';
import type { User } from '../api/types.js';
import { StaticAuth } from '../auth/session.js';
import { RouterProvider } from '../router/router.js';

export const operator: User = {
  id: '00000000-0000-4000-8000-000000000001',
  email: 'ops@example.com',
  name: 'Olga Operator',
  role: 'operator',
  createdAt: '2025-01-01T00:00:00.000Z',
  lastLoginAt: null,
  disabledAt: null,
};
export const viewer: User = {
  ...operator,
  id: '00000000-0000-4000-8000-000000000002',
  email: 'view@example.com',
  name: 'Vic Viewer',
  role: 'viewer',
};

type Handler = (request: Request, url: URL) => unknown;

/** A fake admin API: `'GET /api/admin/sagas'` → handler; a handler may return a Response or a JSON body. */
export function fakeApi(routes: Record<string, Handler>) {
  const requests: { method: string; url: URL; body: unknown; headers: Headers }[] = [];
  const fetch = vi.fn(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = input instanceof Request ? input : new Request(String(input), init);
    const url = new URL(request.url);
    const text = request.method === 'GET' ? '' : await request.clone().text();
    requests.push({
      method: request.method,
      url,
      body: text ? JSON.parse(text) : undefined,
      headers: request.headers,
    });
    const key = Object.keys(routes).find((pattern) => {
      const [method, path] = pattern.split(' ');
      const regex = new RegExp(`^${path!.replace(/\{[^}]+\}/g, '[^/]+')}$`);
      return method === request.method && regex.test(url.pathname);
    });
    if (!key) return problem(404, 'Not found', `no fake route for ${request.method} ${url.pathname}`);
    const answer = routes[key]!(request, url);
    return answer instanceof Response ? answer : json(answer);
  });
  vi.stubGlobal('fetch', fetch);
  return { fetch, requests };
}

export function json(body: unknown, status = 200): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
}

export function problem(status: number, title: string, detail?: string, errors?: unknown[]): Response {
  return new Response(JSON.stringify({ type: 'about:blank', title, status, detail, errors }), {
    status,
    headers: { 'content-type': 'application/problem+json' },
  });
}

/** Renders `ui` at `url` as `user`, with a fresh query cache (no retries). */
export function renderConsole(
  ui: ReactNode,
  { url = '/', user = operator }: { url?: string; user?: User } = {},
) {
  window.history.replaceState(null, '', url);
  const client = new QueryClient({
    defaultOptions: { queries: { retry: false }, mutations: { retry: false } },
  });
  return {
    client,
    ...render(
      <QueryClientProvider client={client}>
        <RouterProvider>
          <StaticAuth user={user}>{ui}</StaticAuth>
        </RouterProvider>
      </QueryClientProvider>,
    ),
  };
}
