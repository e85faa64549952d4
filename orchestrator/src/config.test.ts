import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('runs on defaults', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.database.url).toContain('/sagaport');
    expect(config.broker.url).toContain('amqp://');
  });

  it('reports every bad variable by name at once', () => {
    expect(() => loadConfig({ PORT: 'eighty', AMQP_URL: 'http://nope', DATABASE_URL: 'mysql://x' })).toThrow(
      /PORT.*DATABASE_URL.*AMQP_URL/s,
    );
  });
});
