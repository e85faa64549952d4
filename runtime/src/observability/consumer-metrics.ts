// Prometheus metrics of every consumer: deliveries by outcome, handling time and batch sizes.
import { sagaContracts, type DeliveryOutcome } from '@sagaport/rabbitmq';
import { Counter, Histogram, type Registry } from 'prom-client';

/** The consumer metrics of one process, registered on one registry. */
export interface ConsumerMetrics {
  /** A Consumer `onOutcome` callback for `queue`. */
  readonly observe: (queue: string) => (outcome: DeliveryOutcome, type: string, durationMs: number) => void;
  /** A Consumer `onBatch` callback for `queue`: how many deliveries each batch carried. */
  readonly observeBatch: (queue: string) => (size: number) => void;
}

/** The `type` label of a message whose type is not in the contracts: anyone can publish any type. */
export const UNKNOWN_MESSAGE_TYPE = 'unknown';

/**
 * Creates and registers the consumer metrics on `registry`. The `type` label takes only the
 * `knownTypes` (every contract by default) and `unknown`, so crafted types cannot create series.
 */
export function createConsumerMetrics(
  registry: Registry,
  knownTypes: Iterable<string> = Object.keys(sagaContracts),
): ConsumerMetrics {
  const known = new Set(knownTypes);
  const consumed = new Counter({
    name: 'sagaport_messages_consumed_total',
    help: 'Deliveries consumed, by queue, message type and outcome (acked, refused, retried, dead-lettered, requeued).',
    labelNames: ['queue', 'type', 'outcome'] as const,
    registers: [registry],
  });
  const duration = new Histogram({
    name: 'sagaport_handler_duration_seconds',
    help: 'Time from handing a delivery to its handler to settling it (transaction, publishes and any retry or dead-letter publish).',
    labelNames: ['queue', 'type', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const batches = new Histogram({
    name: 'sagaport_consumer_batch_size',
    help: 'Deliveries handled together in one batch (one transaction), by queue.',
    labelNames: ['queue'] as const,
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  });
  return {
    observe: (queue) => (outcome, messageType, durationMs) => {
      const type = known.has(messageType) ? messageType : UNKNOWN_MESSAGE_TYPE;
      consumed.inc({ queue, type, outcome });
      duration.observe({ queue, type, outcome }, durationMs / 1000);
    },
    observeBatch: (queue) => (size) => batches.observe({ queue }, size),
  };
}
