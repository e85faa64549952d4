// Publishes awaiting their confirm and the time to a confirm, for each confirm publisher of a process.
import { PublishError, type ConfirmPublisher } from '@sagaport/rabbitmq';
import { Gauge, Histogram, type Registry } from 'prom-client';

interface PublisherMetrics {
  readonly publishers: Map<string, ConfirmPublisher>;
  readonly duration: Histogram<'publisher' | 'outcome'>;
}
const byRegistry = new WeakMap<Registry, PublisherMetrics>();

function metricsOf(registry: Registry): PublisherMetrics {
  let metrics = byRegistry.get(registry);
  if (metrics) return metrics;
  const publishers = new Map<string, ConfirmPublisher>();
  new Gauge({
    name: 'sagaport_publishes_in_flight',
    help: 'Publishes sent and awaiting the broker confirm, by publisher',
    labelNames: ['publisher'] as const,
    registers: [registry],
    collect() {
      for (const [publisher, p] of publishers) this.set({ publisher }, p.pending);
    },
  });
  const duration = new Histogram({
    name: 'sagaport_publish_confirm_duration_seconds',
    help: 'Time from publishing a message to its confirm or its failure (nacked, unroutable, connection-lost, timeout, closed, too-large, error), waiting for a slot included, by publisher and outcome',
    labelNames: ['publisher', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    registers: [registry],
  });
  metrics = { publishers, duration };
  byRegistry.set(registry, metrics);
  return metrics;
}

/**
 * Registers `sagaport_publishes_in_flight` (read at scrape time) and
 * `sagaport_publish_confirm_duration_seconds` for `publisher` under the label `name`, and wraps
 * its `publish` to time it. Call once per publisher, right after creating it.
 */
export function observePublisher(registry: Registry, publisher: ConfirmPublisher, name: string): void {
  const { publishers, duration } = metricsOf(registry);
  publishers.set(name, publisher);
  const confirmed = duration.labels({ publisher: name, outcome: 'confirmed' });
  const publish = publisher.publish.bind(publisher);
  publisher.publish = async (message) => {
    const started = performance.now();
    try {
      await publish(message);
    } catch (error) {
      const outcome = error instanceof PublishError ? error.reason : 'error';
      duration.observe({ publisher: name, outcome }, (performance.now() - started) / 1000);
      throw error;
    }
    confirmed.observe((performance.now() - started) / 1000);
  };
}
