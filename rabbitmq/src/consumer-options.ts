// What a Consumer is given and reports: its options, the batch handler's contract, delivery outcomes.
import type { ConsumeMessage } from 'amqplib';
import type { AckFlusher } from './ack-flusher.js';
import type { AmqpConnectionManager } from './connection.js';
import type { ContractRegistry } from './contracts/index.js';
import type { InboundMessage } from './envelope.js';
import type { BusinessRefusal, FailureClass } from './errors.js';
import type { SuspectLane } from './suspects.js';
import type { Logger } from './logger.js';
import type { ConfirmPublisher } from './publisher.js';
import type { RetryPolicy } from './retry.js';
import type { Topology } from './topology.js';

/** What became of one delivery; reported to `onOutcome` for metrics. */
export const DeliveryOutcome = {
  acked: 'acked',
  refused: 'refused',
  retried: 'retried',
  deadLettered: 'dead-lettered',
  requeued: 'requeued',
} as const;
export type DeliveryOutcome = (typeof DeliveryOutcome)[keyof typeof DeliveryOutcome];

/**
 * A dependency the handler needs (PostgreSQL). When a failure is an outage of it, the consumer
 * holds the delivery, waits at the gate and runs the handler again, so an outage costs no retry
 * attempt and fills no DLQ; the prefetch window stops the broker from sending more meanwhile.
 */
export interface DependencyGate {
  isOutage(error: unknown): boolean;
  waitUntilAvailable(signal?: AbortSignal): Promise<void>;
}

/** A message the batch handler did not process, and why; the consumer retries or dead-letters it alone. */
export interface RejectedMessage {
  readonly message: InboundMessage;
  readonly error: unknown;
}

/**
 * Handles every delivery that is ready, together (one transaction). Resolves once all of them
 * are done (committed and their own publishes confirmed), except those it returns as rejected:
 * nothing of a rejected message may have been committed. Throwing fails the whole batch: the
 * consumer then runs its messages again one at a time, so one bad message costs its neighbours
 * one extra run and nothing else.
 */
export type BatchHandler = (
  messages: readonly InboundMessage[],
) => Promise<readonly RejectedMessage[] | void>;

export interface ConsumerOptions {
  readonly connection: AmqpConnectionManager;
  readonly topology: Topology;
  readonly queue: string;
  readonly contracts: ContractRegistry;
  /** Does the work for one delivery; throws to fail. Never acks: the consumer does, after it resolves. */
  readonly handler?: (message: InboundMessage) => Promise<void>;
  /**
   * Does the work for every delivery that is ready at once (see {@link BatchHandler}); use it
   * instead of `handler`. One batch is in flight per consumer; deliveries that arrive meanwhile
   * form the next batch, bounded only by the prefetch window, so nothing waits to fill a batch.
   */
  readonly batchHandler?: BatchHandler;
  /** Called with the size of each batch (metrics). */
  readonly onBatch?: (size: number) => void;
  /** Publishes retries and dead letters with confirms. */
  readonly publisher: ConfirmPublisher;
  readonly retry: RetryPolicy;
  /** Names the failing process in dead letters (`x-failed-by`). */
  readonly consumerName: string;
  readonly prefetch?: number;
  /**
   * How often an idle consumer checks that the broker is not holding deliveries back (default
   * 5000 ms; 0 turns it off). When no delivery came for two checks in a row although its queue
   * has ready messages, the consumer subscribes again on a new channel (see `Consumer`).
   */
  readonly stallCheckMs?: number;
  /** Holds batch acks and sends them together (default: one flusher per process, 20 ms). */
  readonly ackFlusher?: AckFlusher;
  readonly classify?: (error: unknown) => FailureClass;
  /** Turns a BusinessRefusal into a failed reply; without it a refusal is dead-lettered. */
  readonly onBusinessRefusal?: (message: InboundMessage, refusal: BusinessRefusal) => Promise<void>;
  readonly onOutcome?: (outcome: DeliveryOutcome, type: string, durationMs: number) => void;
  /** Where to wait out an outage instead of counting it as a failed attempt. */
  readonly gate?: DependencyGate;
  /**
   * The process's suspect lane, shared by all of its consumers: redelivered deliveries run alone
   * through it, and a message that keeps killing the process is dead-lettered with the reason
   * (see {@link SuspectLane}). Without it, redeliveries run in batches like any delivery.
   */
  readonly suspects?: SuspectLane;
  readonly logger?: Logger;
  /** Traces each delivery (one span per message, batches included); omit it when tracing is off. */
  readonly tracer?: DeliveryTracer;
}

/**
 * Opens a span for one delivery before it is parsed (it may rewrite the delivery's trace
 * context headers) and returns the function that ends it with the delivery's outcome.
 */
export interface DeliveryTracer {
  start(raw: ConsumeMessage): (outcome: DeliveryOutcome) => void;
}
