import { createHash } from 'node:crypto';
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import {
  clearSessionCookie,
  csrfMatches,
  hashToken,
  type LoadedSession,
  setSessionCookie,
} from './session.js';

const app = new Hono()
  .get('/set', (c) => {
    setSessionCookie(c, 'token-value', 12);
    return c.body(null, 204);
  })
  .get('/clear', (c) => {
    clearSessionCookie(c);
    return c.body(null, 204);
  })
  .post('/csrf', (c) => {
    const session = { csrfToken: 'the-csrf-token' } as LoadedSession;
    return c.json({ ok: csrfMatches(c, session) });
  });

describe('session cookie', () => {
  it('is HttpOnly, SameSite=Strict, Path=/, lives the session TTL, and is not Secure over plain HTTP', async () => {
    const cookie = (await app.request('http://localhost/set')).headers.get('set-cookie')!;
    expect(cookie.split('; ')).toEqual(
      expect.arrayContaining([
        `sagaport_session=token-value`,
        'Max-Age=43200',
        'Path=/',
        'HttpOnly',
        'SameSite=Strict',
      ]),
    );
    expect(cookie).not.toMatch(/Secure/);
  });

  it('is Secure when the request is HTTPS, directly or according to X-Forwarded-Proto', async () => {
    const direct = (await app.request('https://console.example/set')).headers.get('set-cookie');
    const proxied = (
      await app.request('http://localhost/set', { headers: { 'x-forwarded-proto': 'https' } })
    ).headers.get('set-cookie');
    expect(direct).toMatch(/; Secure/);
    expect(proxied).toMatch(/; Secure/);
  });

  it('is cleared with Max-Age=0 on the same path', async () => {
    const cookie = (await app.request('http://localhost/clear')).headers.get('set-cookie')!;
    expect(cookie).toMatch(/^sagaport_session=;/);
    expect(cookie).toMatch(/Max-Age=0/);
    expect(cookie).toMatch(/Path=\//);
  });
});

describe('tokens', () => {
  it('stores the SHA-256 hex of the token, never the token', () => {
    expect(hashToken('abc')).toBe(createHash('sha256').update('abc').digest('hex'));
    expect(hashToken('abc')).toMatch(/^[0-9a-f]{64}$/);
  });

  it('matches the CSRF header only when it equals the session token exactly', async () => {
    const send = async (headers: Record<string, string>) =>
      ((await (await app.request('/csrf', { method: 'POST', headers })).json()) as { ok: boolean }).ok;
    expect(await send({ 'x-csrf-token': 'the-csrf-token' })).toBe(true);
    expect(await send({ 'x-csrf-token': 'the-csrf-toke' })).toBe(false);
    expect(await send({ 'x-csrf-token': 'the-csrf-token-and-more' })).toBe(false);
    expect(await send({ 'x-csrf-token': 'THE-CSRF-TOKEN' })).toBe(false);
    expect(await send({ 'x-csrf-token': '' })).toBe(false);
    expect(await send({})).toBe(false);
  });
});
