import { describe, expect, it, vi } from 'vitest';
import { ApiError, createApiClient, unwrap } from './client.js';

function server() {
  const seen: Request[] = [];
  const fetch = vi.fn(async (request: Request) => {
    seen.push(request);
    const path = new URL(request.url).pathname;
    if (path === '/api/admin/auth/login') return Response.json({ user: {}, csrfToken: 'token-1' });
    if (path === '/api/admin/auth/me') return Response.json({ user: {}, csrfToken: 'token-2' });
    if (path === '/api/admin/auth/logout') return new Response(null, { status: 204 });
    if (path === '/api/admin/dead-letters/x/replay') {
      return new Response(
        JSON.stringify({
          type: 'about:blank',
          title: 'Invalid body',
          status: 422,
          detail: 'see errors',
          errors: [{ field: 'payload.a', message: 'required' }],
        }),
        { status: 422, headers: { 'content-type': 'application/problem+json' } },
      );
    }
    if (path === '/api/admin/auth/limited') {
      return new Response(JSON.stringify({ title: 'Too many attempts', status: 429 }), {
        status: 429,
        headers: { 'retry-after': '30' },
      });
    }
    return Response.json({ items: [], nextCursor: null });
  });
  // The paths are checked by the generated schema in the app; here any path will do.
  const client = createApiClient({
    baseUrl: 'http://console.test',
    fetch: fetch as unknown as typeof globalThis.fetch,
  });
  const call = (method: 'GET' | 'POST', path: string) =>
    unwrap(
      (
        client as unknown as Record<
          string,
          (p: string, i?: object) => Promise<{ data?: unknown; error?: unknown; response: Response }>
        >
      )[method]!(path, method === 'POST' ? { body: {} } : {}),
    );
  return { seen, call };
}

describe('the admin API client', () => {
  it('sends the CSRF token from the last login or /auth/me on mutations only', async () => {
    const { seen, call } = server();
    await call('POST', '/api/admin/auth/login');
    await call('GET', '/api/admin/sagas');
    await call('POST', '/api/admin/sagas/s/retry-step').catch(() => undefined);
    expect(seen[1]!.headers.get('X-CSRF-Token')).toBeNull();
    expect(seen[2]!.headers.get('X-CSRF-Token')).toBe('token-1');
    await call('GET', '/api/admin/auth/me');
    await call('POST', '/api/admin/sagas/s/compensate');
    expect(seen[4]!.headers.get('X-CSRF-Token')).toBe('token-2');
    await call('POST', '/api/admin/auth/logout');
    await call('POST', '/api/admin/sagas/s/compensate');
    expect(seen[6]!.headers.get('X-CSRF-Token')).toBeNull();
  });

  it('sends cookies with same-origin requests', async () => {
    const { seen, call } = server();
    await call('GET', '/api/admin/sagas');
    expect(seen[0]!.credentials).toBe('same-origin');
  });

  it('turns problem+json into an ApiError with status, title, detail and field errors', async () => {
    const { call } = server();
    const error = await call('POST', '/api/admin/dead-letters/x/replay').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({
      status: 422,
      title: 'Invalid body',
      detail: 'see errors',
      errors: [{ field: 'payload.a', message: 'required' }],
    });
    expect((error as ApiError).message).toBe('Invalid body: see errors');
  });

  it('reads Retry-After of a 429', async () => {
    const { call } = server();
    const error = (await call('GET', '/api/admin/auth/limited').catch((e: unknown) => e)) as ApiError;
    expect(error).toMatchObject({
      status: 429,
      title: 'Too many attempts',
      retryAfterSeconds: 30,
      errors: [],
    });
  });

  it('makes an ApiError of a non-JSON failure too', () => {
    const error = ApiError.from(
      new Response('bad gateway', { status: 502, statusText: 'Bad Gateway' }),
      'bad gateway',
    );
    expect(error).toMatchObject({ status: 502, title: 'Bad Gateway', detail: 'bad gateway' });
  });
});
