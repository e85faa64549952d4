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
    expect(loadConfig({ HOST: '0.0.0.0' }).metrics).toEqual({
      host: '127.0.0.1',
      port: 9464,
      sampleIntervalMs: 15_000,
    });
    expect(
      loadConfig({ METRICS_HOST: '0.0.0.0', METRICS_PORT: '9100', METRICS_SAMPLE_INTERVAL_MS: '5000' })
        .metrics,
    ).toEqual({
      host: '0.0.0.0',
      port: 9100,
      sampleIntervalMs: 5_000,
    });
    expect(() => loadConfig({ METRICS_PORT: 'ninety' })).toThrow(/METRICS_PORT/);
    expect(() => loadConfig({ METRICS_SAMPLE_INTERVAL_MS: '10' })).toThrow(/METRICS_SAMPLE_INTERVAL_MS/);
  });

  it('takes a trace URL template only with {traceId} in an http(s) URL', () => {
    expect(loadConfig({}).admin.traceUrlTemplate).toBe('');
    expect(
      loadConfig({ TRACE_URL_TEMPLATE: 'http://localhost:16686/trace/{traceId}' }).admin.traceUrlTemplate,
    ).toBe('http://localhost:16686/trace/{traceId}');
    expect(() => loadConfig({ TRACE_URL_TEMPLATE: 'http://localhost:16686/search' })).toThrow(
      /TRACE_URL_TEMPLATE: must be an http\(s\) URL containing \{traceId\}/,
    );
    expect(() => loadConfig({ TRACE_URL_TEMPLATE: 'javascript:alert({traceId})' })).toThrow(
      /TRACE_URL_TEMPLATE/,
    );
  });

  it('reports every bad variable by name at once', () => {
    expect(() => loadConfig({ PORT: 'eighty', AMQP_URL: 'http://nope', DATABASE_URL: 'mysql://x' })).toThrow(
      /PORT.*DATABASE_URL.*AMQP_URL/s,
    );
  });

  it('reads the admin pool and bulk replay limits, naming a bad one', () => {
    const config = loadConfig({
      ADMIN_DATABASE_POOL_SIZE: '2',
      ADMIN_STATEMENT_TIMEOUT_MS: '1500',
      REPLAY_BUDGET_PER_SECOND: '80',
      REPLAY_JOB_CONCURRENCY: '3',
      REPLAY_OPEN_JOBS_PER_OPERATOR: '5',
    });
    expect(config.admin).toMatchObject({
      databasePoolSize: 2,
      statementTimeoutMs: 1500,
      replayBudgetPerSecond: 80,
      replayJobConcurrency: 3,
      openReplayJobsPerOperator: 5,
    });
    expect(loadConfig({}).admin).toMatchObject({ databasePoolSize: 4, statementTimeoutMs: 5_000 });
    expect(() => loadConfig({ ADMIN_STATEMENT_TIMEOUT_MS: '0' })).toThrow(/ADMIN_STATEMENT_TIMEOUT_MS/);
    expect(() => loadConfig({ REPLAY_OPEN_JOBS_PER_OPERATOR: 'many' })).toThrow(
      /REPLAY_OPEN_JOBS_PER_OPERATOR/,
    );
  });

  it('trusts no proxy and limits logins per account and per address by default', () => {
    expect(loadConfig({}).admin).toMatchObject({
      trustedProxies: [],
      loginAttemptsPerAccount: 10,
      loginAttemptsPerAddress: 50,
      sessionIdleMinutes: 30,
    });
  });

  it('reads TRUST_PROXY as addresses and CIDR ranges, and names it when an entry is neither', () => {
    expect(loadConfig({ TRUST_PROXY: '127.0.0.1, 10.0.0.0/8' }).admin.trustedProxies).toEqual([
      '127.0.0.1',
      '10.0.0.0/8',
    ]);
    expect(() => loadConfig({ TRUST_PROXY: '127.0.0.1,proxy.internal' })).toThrow(
      /TRUST_PROXY.*proxy\.internal/,
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
