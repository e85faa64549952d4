import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('runs on defaults', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.database.url).toContain('/sagaport');
    expect(config.broker.url).toContain('amqp://');
  });

  it('serves metrics apart from the public port, on loopback unless METRICS_HOST says otherwise', () => {
    expect(loadConfig({ HOST: '0.0.0.0' }).metrics).toEqual({ host: '127.0.0.1', port: 9464 });
    expect(loadConfig({ METRICS_HOST: '0.0.0.0', METRICS_PORT: '9100' }).metrics).toEqual({
      host: '0.0.0.0',
      port: 9100,
    });
    expect(() => loadConfig({ METRICS_PORT: 'ninety' })).toThrow(/METRICS_PORT/);
  });

  it('reports every bad variable by name at once', () => {
    expect(() => loadConfig({ PORT: 'eighty', AMQP_URL: 'http://nope', DATABASE_URL: 'mysql://x' })).toThrow(
      /PORT.*DATABASE_URL.*AMQP_URL/s,
    );
  });
});
