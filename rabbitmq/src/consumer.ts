// The consumer: validates, runs the handler, acks after success, and retries or dead-letters failures.
import type { Channel, ConsumeMessage } from 'amqplib';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { AmqpConnectionManager } from './connection.js';
import type { ContractRegistry } from './contracts/index.js';
import { deadLetterMessage, retryMessage } from './dead-letter.js';
import { attemptOf, parseInbound, type InboundMessage } from './envelope.js';
import { type BusinessRefusal, classifyError, FailureClass } from './errors.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import type { ConfirmPublisher } from './publisher.js';
import { planRetry, type RetryPolicy } from './retry.js';
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

export interface ConsumerOptions {
  readonly connection: AmqpConnectionManager;
  readonly topology: Topology;
  readonly queue: string;
  readonly contracts: ContractRegistry;
  /** Does the work; throws to fail. Never acks: the consumer does, after it resolves. */
  readonly handler: (message: InboundMessage) => Promise<void>;
  /** Publishes retries and dead letters with confirms. */
  readonly publisher: ConfirmPublisher;
  readonly retry: RetryPolicy;
  /** Names the failing process in dead letters (`x-failed-by`). */
  readonly consumerName: string;
  readonly prefetch?: number;
  readonly classify?: (error: unknown) => FailureClass;
  /** Turns a BusinessRefusal into a failed reply; without it a refusal is dead-lettered. */
  readonly onBusinessRefusal?: (message: InboundMessage, refusal: BusinessRefusal) => Promise<void>;
  readonly onOutcome?: (outcome: DeliveryOutcome, type: string, durationMs: number) => void;
  /** Where to wait out an outage instead of counting it as a failed attempt. */
  readonly gate?: DependencyGate;
  readonly logger?: Logger;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Consumes one queue with a prefetch window. Acks only after the handler succeeded (and, for a
 * failure, after its retry or dead letter was confirmed); if that publish fails the delivery is
 * requeued, so nothing is lost. Re-subscribes after a reconnect, a server-side cancel (the queue
 * was deleted) or a channel error.
 */
export class Consumer {
  private wrapper: ChannelWrapper;
  private channel: Channel | undefined;
  private consumerTag: string | undefined;
  private stopping = false;
  private readonly stopSignal = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly log: Logger;
  private readonly classify: (error: unknown) => FailureClass;
  private markStarted!: () => void;
  /** Resolves when the consumer first subscribed. */
  readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));

  constructor(private readonly options: ConsumerOptions) {
    this.log = options.logger ?? silentLogger;
    this.classify = options.classify ?? classifyError;
    this.wrapper = this.createWrapper();
  }

  /** Deliveries being handled right now. */
  get busy(): number {
    return this.inFlight.size;
  }

  /** Stops consuming, lets in-flight deliveries finish (up to `timeoutMs`), then closes the channel. */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    const channel = this.channel;
    if (channel && this.consumerTag) await channel.cancel(this.consumerTag).catch(() => undefined);
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.inFlight]), sleep(Math.max(0, deadline - Date.now()))]);
    }
    await this.wrapper.close();
  }

  private createWrapper(): ChannelWrapper {
    const wrapper = this.options.connection.createChannel({
      name: `consumer:${this.options.queue}`,
      setup: (channel: Channel) => this.setup(channel),
    });
    wrapper.on('error', (error: Error) =>
      this.log.warn({ err: error, queue: this.options.queue }, 'consumer channel error'),
    );
    return wrapper;
  }

  private async setup(channel: Channel): Promise<void> {
    this.channel = channel;
    this.consumerTag = undefined;
    // Without a listener amqplib's 'error' event throws inside its frame loop, which then tears
    // down the whole connection: the publisher's in-flight confirms and every other channel with
    // it. Handled, a channel error closes this channel only, and onChannelClosed reopens it.
    channel.on('error', (error: Error) =>
      this.log.warn({ err: error, queue: this.options.queue }, 'consumer channel closed with an error'),
    );
    channel.on('close', () => this.onChannelClosed(channel));
    await channel.prefetch(this.options.prefetch ?? 50);
    void this.subscribe(channel);
  }

  /** Subscribes once the queue exists, probing on a side channel so a missing queue cannot close ours. */
  private async subscribe(channel: Channel): Promise<void> {
    let delay = 100;
    while (!this.stopping && this.channel === channel) {
      if (await this.queueExists()) {
        try {
          const { consumerTag } = await channel.consume(
            this.options.queue,
            (raw) => (raw ? this.onDelivery(channel, raw) : this.onCancelledByServer(channel)),
            { noAck: false },
          );
          this.consumerTag = consumerTag;
          this.markStarted();
          return;
        } catch (error) {
          this.log.warn({ err: error, queue: this.options.queue }, 'subscribe failed');
          return; // the channel closed; onChannelClosed takes over
        }
      }
      await sleep(delay);
      delay = Math.min(delay * 2, 5_000);
    }
  }

  private async queueExists(): Promise<boolean> {
    const connection = this.options.connection.connection;
    if (!connection) return false;
    try {
      const probe = await connection.createChannel();
      probe.on('error', () => undefined);
      try {
        await probe.checkQueue(this.options.queue);
        return true;
      } finally {
        await probe.close().catch(() => undefined);
      }
    } catch {
      return false;
    }
  }

  private onCancelledByServer(channel: Channel): void {
    this.consumerTag = undefined;
    this.log.warn({ queue: this.options.queue }, 'subscription cancelled by the broker; resubscribing');
    void this.subscribe(channel);
  }

  /**
   * amqp-connection-manager reopens channels only after a reconnect. If our channel alone was
   * closed by the broker (a channel error), open a fresh wrapper so consuming goes on.
   */
  private onChannelClosed(channel: Channel): void {
    if (this.channel === channel) this.channel = undefined;
    if (this.stopping) return;
    setTimeout(() => {
      if (this.stopping || this.channel || !this.options.connection.isConnected()) return;
      this.log.warn({ queue: this.options.queue }, 'consumer channel closed by the broker; reopening');
      const old = this.wrapper;
      this.wrapper = this.createWrapper();
      void old.close().catch(() => undefined);
    }, 1_000).unref();
  }

  private onDelivery(channel: Channel, raw: ConsumeMessage): void {
    const work = this.process(channel, raw).finally(() => this.inFlight.delete(work));
    this.inFlight.add(work);
  }

  private async process(channel: Channel, raw: ConsumeMessage): Promise<void> {
    const started = performance.now();
    const type = typeof raw.properties.type === 'string' ? raw.properties.type : 'unknown';
    let outcome: DeliveryOutcome;
    try {
      outcome = await this.handle(raw);
      this.settle(channel, raw, true);
    } catch (error) {
      // The retry or dead letter was not confirmed: put the delivery back rather than lose it.
      this.log.error(
        { err: error, queue: this.options.queue, type },
        'could not retry or dead-letter; requeueing',
      );
      this.settle(channel, raw, false);
      outcome = DeliveryOutcome.requeued;
    }
    this.options.onOutcome?.(outcome, type, performance.now() - started);
  }

  private async handle(raw: ConsumeMessage): Promise<DeliveryOutcome> {
    let message: InboundMessage;
    try {
      message = parseInbound(raw, this.options.contracts);
    } catch (error) {
      return this.fail(raw, error, FailureClass.permanent);
    }
    for (;;) {
      let error: unknown;
      try {
        await this.options.handler(message);
        return DeliveryOutcome.acked;
      } catch (handlerError) {
        error = handlerError;
      }
      const failureClass = this.classify(error);
      if (failureClass === FailureClass.business && this.options.onBusinessRefusal) {
        try {
          await this.options.onBusinessRefusal(message, error as BusinessRefusal);
          return DeliveryOutcome.refused;
        } catch (refusalError) {
          error = refusalError;
        }
      }
      if (!(await this.waitOutOutage(error))) return this.fail(raw, error, this.classify(error));
    }
  }

  /** True when `error` is an outage of the gated dependency and it is back: run the handler again. */
  private async waitOutOutage(error: unknown): Promise<boolean> {
    const gate = this.options.gate;
    if (!gate || this.stopping || !gate.isOutage(error)) return false;
    this.log.warn(
      { queue: this.options.queue, err: error },
      'dependency unavailable; holding the delivery until it is back',
    );
    // Rejects when the consumer stops: the delivery is then requeued (see process).
    await gate.waitUntilAvailable(this.stopSignal.signal);
    return true;
  }

  private async fail(
    raw: ConsumeMessage,
    error: unknown,
    errorClass: FailureClass,
  ): Promise<DeliveryOutcome> {
    const { topology, queue, publisher, consumerName } = this.options;
    const attempt = attemptOf(raw);
    const context = { queue, failedBy: consumerName, errorClass, error, attempt };
    if (errorClass === FailureClass.transient) {
      const plan = planRetry(attempt, this.options.retry);
      if (plan.kind === 'retry') {
        await publisher.publish(
          retryMessage(raw, {
            ...context,
            retryExchange: topology.exchanges.retry,
            tierName: plan.tier.name,
            delayMs: plan.delayMs,
            nextAttempt: plan.nextAttempt,
          }),
        );
        this.log.info(
          { queue, type: raw.properties.type as unknown, attempt, tier: plan.tier.name },
          'retry scheduled',
        );
        return DeliveryOutcome.retried;
      }
    }
    await publisher.publish(
      deadLetterMessage(raw, { ...context, deadLetterExchange: topology.exchanges.deadLetters }),
    );
    this.log.warn(
      { queue, type: raw.properties.type as unknown, attempt, errorClass, err: error },
      'message dead-lettered',
    );
    return DeliveryOutcome.deadLettered;
  }

  /** Acks (or requeues) on the channel the delivery came from; after that channel closed, the broker redelivers. */
  private settle(channel: Channel, raw: ConsumeMessage, ack: boolean): void {
    if (this.channel !== channel) return;
    try {
      if (ack) channel.ack(raw);
      else channel.nack(raw, false, true);
    } catch (error) {
      this.log.warn(
        { err: error, queue: this.options.queue },
        'could not settle a delivery; the broker will redeliver it',
      );
    }
  }
}
