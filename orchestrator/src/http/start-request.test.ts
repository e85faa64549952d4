// The checks every saga-starting route shares: JSON body, Idempotency-Key, and `Prefer: wait`.
import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { preferredWaitSeconds, startRequest, type StartRequestVariables } from './start-request.js';

describe('preferredWaitSeconds (RFC 7240 Prefer: wait)', () => {
  it('reads wait=N among other preferences', () => {
    expect(preferredWaitSeconds('wait=5')).toBe(5);
    expect(preferredWaitSeconds('return=minimal, wait=12')).toBe(12);
    expect(preferredWaitSeconds('respond-async; wait=3')).toBe(3);
  });

  it('caps the wait at 30 seconds and ignores anything that is not wait', () => {
    expect(preferredWaitSeconds('wait=600')).toBe(30);
    expect(preferredWaitSeconds('return=minimal')).toBeUndefined();
    expect(preferredWaitSeconds('nowait=5')).toBeUndefined();
    expect(preferredWaitSeconds(undefined)).toBeUndefined();
  });
});

describe('startRequest', () => {
  const started = (body: 'required' | 'optional') =>
    new Hono<{ Variables: StartRequestVariables }>().post('/start', startRequest({ body }), (c) =>
      c.json({ key: c.get('idempotencyKey'), wait: c.get('preferredWait') ?? null }),
    );
  const post = (body: 'required' | 'optional', headers: Record<string, string>) =>
    started(body).request('/start', { method: 'POST', headers, body: '{}' });
  const json = { 'content-type': 'application/json' };

  it('refuses a body that is not JSON (415) before it asks for the key', async () => {
    const response = await post('required', { 'content-type': 'text/plain' });
    expect(response.status).toBe(415);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
  });

  it('asks for a missing Idempotency-Key (428) and names a malformed one (400)', async () => {
    const missing = await post('required', json);
    expect(missing.status).toBe(428);
    expect(await missing.json()).toMatchObject({ errors: [{ field: 'Idempotency-Key' }] });
    const malformed = await post('required', { ...json, 'idempotency-key': 'has spaces' });
    expect(malformed.status).toBe(400);
    expect(await malformed.json()).toMatchObject({
      title: 'Invalid Idempotency-Key',
      errors: [{ field: 'Idempotency-Key', message: 'printable ASCII without spaces' }],
    });
  });

  it('hands the key and the capped wait to the handler', async () => {
    const answer = await post('required', { ...json, 'idempotency-key': 'k-1', prefer: 'wait=99' });
    expect(await answer.json()).toEqual({ key: 'k-1', wait: 30 });
    const noWait = await post('required', { ...json, 'idempotency-key': 'k-2' });
    expect(await noWait.json()).toEqual({ key: 'k-2', wait: null });
  });

  it('leaves the media type of an optional body to the route', async () => {
    const answer = await post('optional', { 'idempotency-key': 'k-3' });
    expect(answer.status).toBe(200);
  });
});
