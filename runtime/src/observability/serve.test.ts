// Unit tests of the operational endpoints' server: it binds where told and says so when it cannot.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { serveOperationalEndpoints } from './serve.js';

describe('serveOperationalEndpoints', () => {
  it('serves /metrics on the address it bound, and rejects naming the address when the port is taken', async () => {
    const registry = new Registry();
    const first = await serveOperationalEndpoints({ host: '127.0.0.1', port: 0, checks: {}, registry });
    try {
      expect((await fetch(`http://127.0.0.1:${first.port}/metrics`)).status).toBe(200);
      await expect(
        serveOperationalEndpoints({ host: '127.0.0.1', port: first.port, checks: {}, registry }),
      ).rejects.toThrow(`cannot serve metrics on 127.0.0.1:${first.port}`);
    } finally {
      first.server.close();
    }
  });
});
