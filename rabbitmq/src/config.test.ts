import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { brokerUrls, defaultMaxMessageBytes, loadBrokerConfig, parseRetryTiers } from './config.js';

describe('loadBrokerConfig', () => {
  it('has working defaults', () => {
    const config = loadBrokerConfig({});
    expect(config.url).toBe('amqp://guest:guest@127.0.0.1:5672');
    expect(config.retryTiers.map((t) => t.delayMs)).toEqual([1_000, 5_000, 30_000, 120_000]);
    expect(config.maxAttempts).toBe(5);
  });

  it('names the variable at fault', () => {
    expect(() => loadBrokerConfig({ AMQP_URL: 'http://x' })).toThrow(/AMQP_URL: must be an amqp/);
    expect(() => loadBrokerConfig({ RETRY_TIERS: '1s,soon' })).toThrow(
      /RETRY_TIERS: "soon" is not a duration/,
    );
    expect(() => loadBrokerConfig({ AMQP_PREFETCH: '0' })).toThrow(/AMQP_PREFETCH/);
  });

  it('takes the nodes of a cluster as comma-separated URLs, and refuses a bad one among them', () => {
    const urls = 'amqp://u:p@node-a:5672, amqp://u:p@node-b:5672,amqp://u:p@node-c:5672';
    expect(brokerUrls(loadBrokerConfig({ AMQP_URL: urls }).url)).toEqual([
      'amqp://u:p@node-a:5672',
      'amqp://u:p@node-b:5672',
      'amqp://u:p@node-c:5672',
    ]);
    expect(() => loadBrokerConfig({ AMQP_URL: 'amqp://node-a,http://node-b' })).toThrow(
      /AMQP_URL: must be an amqp/,
    );
  });

  it("limits message bodies to 4 MiB by default, as the project's rabbitmq.conf limits the broker", () => {
    expect(loadBrokerConfig({}).maxMessageBytes).toBe(4 * 1024 * 1024);
    expect(loadBrokerConfig({ AMQP_MAX_MESSAGE_BYTES: '65536' }).maxMessageBytes).toBe(65_536);
    expect(() => loadBrokerConfig({ AMQP_MAX_MESSAGE_BYTES: '0' })).toThrow(/AMQP_MAX_MESSAGE_BYTES/);
    const conf = readFileSync(new URL('../rabbitmq.conf', import.meta.url), 'utf8');
    expect(/^max_message_size = (\d+)$/m.exec(conf)?.[1]).toBe(String(defaultMaxMessageBytes));
  });

  it('keeps the crash limit of the suspect lane below the delivery limit', () => {
    expect(loadBrokerConfig({}).crashLimit).toBe(2);
    // A delivery limit of 2 leaves room for one death alone.
    expect(loadBrokerConfig({ AMQP_DELIVERY_LIMIT: '2' }).crashLimit).toBe(1);
    expect(loadBrokerConfig({ AMQP_CRASH_LIMIT: '3', AMQP_DELIVERY_LIMIT: '6' }).crashLimit).toBe(3);
    expect(() => loadBrokerConfig({ AMQP_CRASH_LIMIT: '5' })).toThrow(
      /AMQP_CRASH_LIMIT: must be below AMQP_DELIVERY_LIMIT \(5\)/,
    );
    expect(() => loadBrokerConfig({ AMQP_CRASH_LIMIT: '0' })).toThrow(/AMQP_CRASH_LIMIT/);
  });

  it('parses durations in every unit', () => {
    expect(parseRetryTiers('250ms, 2s,3m,1h').map((t) => t.delayMs)).toEqual([
      250, 2_000, 180_000, 3_600_000,
    ]);
  });
});
