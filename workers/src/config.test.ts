// Unit tests of the worker configuration: defaults, worker variables, and errors naming each bad variable.
import { describe, expect, it } from 'vitest';
import { defaultShippingCountries, loadWorkerConfig } from './config.js';

describe('loadWorkerConfig', () => {
  it('applies the defaults when nothing is set', () => {
    const config = loadWorkerConfig({});
    expect(config).toMatchObject({
      metricsPort: 0,
      host: '127.0.0.1',
      logLevel: 'info',
      seedCatalogue: true,
      settings: {
        reservationTtlSeconds: 900,
        sweepIntervalMs: 10_000,
        paymentSlowMs: 2_000,
        shippingCountries: defaultShippingCountries,
        shippingDispatchDelayMs: 86_400_000,
        sharedRounds: true,
      },
    });
    expect(config.broker.prefetch).toBe(50);
    expect(config.settings.shippingCountries).not.toContain('US');
  });

  it('reads the worker variables', () => {
    const config = loadWorkerConfig({
      METRICS_PORT: '9464',
      RESERVATION_TTL_SECONDS: '60',
      RESERVATION_SWEEP_INTERVAL_MS: '500',
      PAYMENT_SLOW_MS: '10',
      SHIPPING_COUNTRIES: 'de, us',
      SHIPPING_DISPATCH_DELAY_MS: '1500',
      SEED_CATALOGUE: 'false',
      WORKER_SHARED_ROUNDS: 'false',
      AMQP_PREFETCH: '7',
    });
    expect(config.metricsPort).toBe(9464);
    expect(config.settings).toEqual({
      reservationTtlSeconds: 60,
      sweepIntervalMs: 500,
      paymentSlowMs: 10,
      shippingCountries: ['DE', 'US'],
      shippingDispatchDelayMs: 1500,
      sharedRounds: false,
    });
    expect(config.seedCatalogue).toBe(false);
    expect(config.broker.prefetch).toBe(7);
  });

  it('serves its metrics on loopback unless METRICS_HOST (or the older HOST) names another address', () => {
    expect(loadWorkerConfig({}).host).toBe('127.0.0.1');
    expect(loadWorkerConfig({ METRICS_HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(loadWorkerConfig({ HOST: '0.0.0.0' }).host).toBe('0.0.0.0');
    expect(loadWorkerConfig({ METRICS_HOST: '10.0.0.5', HOST: '0.0.0.0' }).host).toBe('10.0.0.5');
  });

  it('names every bad variable, its own and the broker and database ones', () => {
    const load = () =>
      loadWorkerConfig({
        METRICS_PORT: 'nine',
        SHIPPING_COUNTRIES: 'DE,Germany',
        AMQP_PREFETCH: '0',
        DATABASE_URL: 'mysql://x',
      });
    expect(load).toThrow(/^invalid configuration: /);
    expect(load).toThrow(/METRICS_PORT/);
    expect(load).toThrow(/SHIPPING_COUNTRIES/);
    expect(load).toThrow(/AMQP_PREFETCH/);
    expect(load).toThrow(/DATABASE_URL/);
  });
});
