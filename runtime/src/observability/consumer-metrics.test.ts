// Unit tests of the consumer metrics every process registers.
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createConsumerMetrics } from './consumer-metrics.js';

describe('consumer metrics', () => {
  it('counts deliveries by queue, type and outcome, times them and records batch sizes', async () => {
    const registry = new Registry();
    const metrics = createConsumerMetrics(registry);
    const onOutcome = metrics.observe('payment.commands');
    onOutcome('acked', 'payment.charge', 12);
    onOutcome('acked', 'payment.charge', 30);
    onOutcome('retried', 'payment.charge', 5);
    metrics.observeBatch('payment.commands')(3);

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
    expect(text).toContain('sagaport_consumer_batch_size_count{queue="payment.commands"} 1');
    expect(text).toContain('sagaport_consumer_batch_size_sum{queue="payment.commands"} 3');
  });
});
