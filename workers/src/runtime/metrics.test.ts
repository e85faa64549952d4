// Unit tests of the workers' Prometheus metrics.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createWorkerMetrics } from './metrics.js';

describe('worker metrics', () => {
  it('counts deliveries by queue, type and outcome and times them', async () => {
    const registry = new Registry();
    const metrics = createWorkerMetrics(registry);
    const onOutcome = metrics.observe('payment.commands');
    onOutcome('acked', 'payment.charge', 12);
    onOutcome('acked', 'payment.charge', 30);
    onOutcome('retried', 'payment.charge', 5);
    metrics.reservationsExpired(3);

    const text = await registry.metrics();
    expect(text).toContain(
      'sagaport_messages_consumed_total{queue="payment.commands",type="payment.charge",outcome="acked"} 2',
    );
    expect(text).toContain(
      'sagaport_messages_consumed_total{queue="payment.commands",type="payment.charge",outcome="retried"} 1',
    );
    expect(text).toContain(
      'sagaport_handler_duration_seconds_count{queue="payment.commands",type="payment.charge",outcome="acked"} 2',
    );
    expect(text).toContain('sagaport_reservations_expired_total 3');
  });
});
