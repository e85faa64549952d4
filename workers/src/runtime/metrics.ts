// Prometheus metrics of the workers: deliveries by outcome, handling time, expired holds.
import type { DeliveryOutcome } from '@sagaport/rabbitmq';
import { Counter, Histogram, type Registry } from 'prom-client';

/** The workers' metrics, registered on one registry. */
export interface WorkerMetrics {
  /** A Consumer `onOutcome` callback for `queue`. */
  readonly observe: (queue: string) => (outcome: DeliveryOutcome, type: string, durationMs: number) => void;
  /** Counts holds the sweeper released. */
  readonly reservationsExpired: (count: number) => void;
}

/** Creates and registers the workers' metrics on `registry`. */
export function createWorkerMetrics(registry: Registry): WorkerMetrics {
  const consumed = new Counter({
    name: 'sagaport_messages_consumed_total',
    help: 'Deliveries consumed, by queue, message type and outcome (acked, refused, retried, dead-lettered, requeued).',
    labelNames: ['queue', 'type', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'sagaport_handler_duration_seconds',
    help: 'Time from delivery to settlement (handler, transaction, and any retry or dead-letter publish).',
    labelNames: ['queue', 'type', 'outcome'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const expired = new Counter({
    name: 'sagaport_reservations_expired_total',
    help: 'Stock holds released by the sweeper because they expired.',
    registers: [registry],
  });
  return {
    observe: (queue) => (outcome, type, durationMs) => {
      consumed.inc({ queue, type, outcome });
      duration.observe({ queue, type, outcome }, durationMs / 1000);
    },
    reservationsExpired: (count) => expired.inc(count),
  };
}
