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

  it('labels a message type outside the contracts `unknown`: crafted types add no series', async () => {
    const registry = new Registry();
    const onOutcome = createConsumerMetrics(registry).observe('orchestrator.replies');
    for (let i = 0; i < 50; i += 1) onOutcome('dead-lettered', `crafted.${i}`, 1);
    onOutcome('acked', 'payment.charge.reply', 1);

    const text = await registry.metrics();
    expect(text).not.toContain('crafted.');
    expect(text).toContain(
      'sagaport_messages_consumed_total{queue="orchestrator.replies",type="unknown",outcome="dead-lettered"} 50',
    );
    expect(text).toContain(
      'sagaport_messages_consumed_total{queue="orchestrator.replies",type="payment.charge.reply",outcome="acked"} 1',
    );
  });
});
