import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { clientAddress, LOGIN_WINDOW_MS, LoginRateLimiter, loginKey } from './rate-limit.js';

function clock(start = 1_000_000) {
  let now = start;
  return { now: () => now, advance: (ms: number) => (now += ms) };
}

describe('LoginRateLimiter', () => {
  it('allows `limit` attempts in a window, then refuses with the seconds left in the window', () => {
    const time = clock();
    const limiter = new LoginRateLimiter(3, LOGIN_WINDOW_MS, time.now);
    expect([limiter.attempt('k'), limiter.attempt('k'), limiter.attempt('k')]).toEqual([
      { allowed: true },
      { allowed: true },
      { allowed: true },
    ]);
    expect(limiter.attempt('k')).toEqual({ allowed: false, retryAfterSeconds: 900 });
    time.advance(60_500);
    expect(limiter.attempt('k')).toEqual({ allowed: false, retryAfterSeconds: 840 });
  });

  it('opens again when the window has passed, and refused attempts do not extend it', () => {
    const time = clock();
    const limiter = new LoginRateLimiter(1, LOGIN_WINDOW_MS, time.now);
    limiter.attempt('k');
    time.advance(LOGIN_WINDOW_MS - 1);
    expect(limiter.attempt('k').allowed).toBe(false);
    time.advance(1);
    expect(limiter.attempt('k').allowed).toBe(true);
    expect(limiter.attempt('k').allowed).toBe(false);
  });

  it('counts each key on its own, and reset() forgets a key', () => {
    const limiter = new LoginRateLimiter(1);
    expect(limiter.attempt('a').allowed).toBe(true);
    expect(limiter.attempt('a').allowed).toBe(false);
    expect(limiter.attempt('b').allowed).toBe(true);
    limiter.reset('a');
    expect(limiter.attempt('a').allowed).toBe(true);
    expect(limiter.attempt('b').allowed).toBe(false);
  });

  it('bounds its memory: past 10,000 keys expired windows are swept, then the oldest dropped', () => {
    const time = clock();
    const limiter = new LoginRateLimiter(1, LOGIN_WINDOW_MS, time.now);
    for (let i = 0; i < 10_000; i += 1) limiter.attempt(`old-${i}`);
    time.advance(LOGIN_WINDOW_MS);
    limiter.attempt('fresh');
    expect(limiter.size).toBe(1);
    for (let i = 0; i < 10_500; i += 1) limiter.attempt(`new-${i}`);
    expect(limiter.size).toBeLessThanOrEqual(10_000);
    // The newest key survived the eviction and is still refused.
    expect(limiter.attempt('new-10499').allowed).toBe(false);
  });
});

describe('client address and login key', () => {
  const app = new Hono().get('/', (c) =>
    c.json({ address: clientAddress(c), key: loginKey(c, ' Ada@Example.COM ') }),
  );

  it('takes the first X-Forwarded-For entry and lower-cases the email', async () => {
    const response = await app.request('/', { headers: { 'x-forwarded-for': '203.0.113.7, 10.0.0.1' } });
    expect(await response.json()).toEqual({ address: '203.0.113.7', key: '203.0.113.7|ada@example.com' });
  });

  it("falls back to 'unknown' when there is neither a header nor a socket (in-process requests)", async () => {
    const response = await app.request('/');
    expect(await response.json()).toEqual({ address: 'unknown', key: 'unknown|ada@example.com' });
  });
});
