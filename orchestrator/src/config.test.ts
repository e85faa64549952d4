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

describe('API token lifetimes', () => {
  it('defaults to 30 days, at most 365', () => {
    expect(loadConfig({}).admin).toMatchObject({ apiTokenDefaultDays: 30, apiTokenMaxDays: 365 });
  });

  it('refuses a default lifetime beyond the maximum, naming the variable', () => {
    expect(() => loadConfig({ API_TOKEN_DEFAULT_DAYS: '90', API_TOKEN_MAX_DAYS: '30' })).toThrow(
      /API_TOKEN_DEFAULT_DAYS: must not exceed API_TOKEN_MAX_DAYS/,
    );
  });
});
