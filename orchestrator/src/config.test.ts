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
});
