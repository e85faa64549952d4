import { Hono } from 'hono';
import { describe, expect, it } from 'vitest';
import { requestLogFields, setRequestId } from './request-id.js';

describe('requestLogFields', () => {
  it('gives the id a middleware set, to the handler and to the error hook', async () => {
    const seen: unknown[] = [];
    const app = new Hono();
    app.use(async (c, next) => {
      setRequestId(c, 'req-7');
      await next();
    });
    app.get('/ok', (c) => c.json(requestLogFields(c)));
    app.get('/fails', () => {
      throw new Error('boom');
    });
    app.onError((_error, c) => {
      seen.push(requestLogFields(c));
      return c.text('failed', 500);
    });
    expect(await (await app.request('/ok')).json()).toEqual({ request_id: 'req-7' });
    expect((await app.request('/fails')).status).toBe(500);
    expect(seen).toEqual([{ request_id: 'req-7' }]);
  });

  it('gives no field when no id was set', async () => {
    const app = new Hono().get('/', (c) => c.json(requestLogFields(c)));
    expect(await (await app.request('/')).json()).toEqual({});
  });
});
