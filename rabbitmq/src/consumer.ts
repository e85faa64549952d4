// The consumer: validates, runs the handler, acks after success, and retries or dead-letters failures.
import { setTimeout as pause } from 'node:timers/promises';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { ChannelWrapper } from 'amqp-connection-manager';
import { sharedAckFlusher, type HeldAck, type PendingAck } from './ack-flusher.js';
import { DeliveryOutcome, type ConsumerOptions, type RejectedMessage } from './consumer-options.js';
import { parseInbound, type InboundMessage } from './envelope.js';
import { type BusinessRefusal, classifyError, FailureClass, MessageTooLargeError } from './errors.js';
import { messageLogFields, publishFailure } from './failures.js';
import type { Logger } from './logger.js';
import { silentLogger } from './logger.js';
import { bindingsOf, unpackMessages } from './message-batch.js';
import { readyMessages } from './queue-depth.js';
import { isSuspect, type CrashLoopError, type SuspectLane } from './suspects.js';

export { DeliveryOutcome } from './consumer-options.js';
export type {
  BatchHandler,
  ConsumerOptions,
  DeliveryTracer,
  DependencyGate,
  RejectedMessage,
} from './consumer-options.js';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Consumes one queue with a prefetch window. Acks only after the handler succeeded (and, for a
 * failure, after its retry or dead letter was confirmed). If that publish fails (the dead-letter
 * queue or exchange is missing, the broker refuses it), the delivery is held unacked, so it stays
 * in its queue, and the publish is tried again, with a growing pause, until the broker takes it;
 * the consumer goes on with the other deliveries meanwhile. If the channel closes first, the
 * broker delivers it again. Re-subscribes after a reconnect, a server-side cancel (the queue was
 * deleted) or a channel error.
 */
export class Consumer implements HeldAck {
  private wrapper: ChannelWrapper;
  private channel: Channel | undefined;
  private consumerTag: string | undefined;
  private stopping = false;
  private readonly stopSignal = new AbortController();
  private readonly inFlight = new Set<Promise<void>>();
  private readonly log: Logger;
  private readonly classify: (error: unknown) => FailureClass;
  private readonly handleOne: (message: InboundMessage) => Promise<void>;
  /** The exchange each message type reaches this queue by, for the messages batches carry. */
  private readonly bindings: ReadonlyMap<string, string>;
  /** Deliveries waiting for the next batch (batch mode). */
  private ready: Delivery[] = [];
  private pumping = false;
  /** A settled batch's `multiple` ack, held by the ack flusher (batch mode only). */
  private pendingAck: PendingAck | undefined;
  /** Deliveries the held ack covers: they occupy the prefetch window until it is sent. */
  private heldDeliveries = 0;
  /** When the last delivery arrived (or the subscription started). */
  private lastDeliveryAt = performance.now();
  /** Checks in a row that found ready messages and no delivery since the previous one. */
  private stalledChecks = 0;
  private stallTimer: NodeJS.Timeout | undefined;
  /** Deliveries whose retry or dead letter the broker did not take: unacked while it is tried again. */
  private readonly holding = new Set<ConsumeMessage>();
  /** Redelivered deliveries waiting for, or running in, the process's suspect lane. */
  private readonly suspects = new Set<ConsumeMessage>();
  private markStarted!: () => void;
  /** Resolves when the consumer first subscribed. */
  readonly started = new Promise<void>((resolve) => (this.markStarted = resolve));

  constructor(private readonly options: ConsumerOptions) {
    this.log = options.logger ?? silentLogger;
    this.classify = options.classify ?? classifyError;
    this.handleOne = singleHandlerOf(options);
    this.bindings = bindingsOf(options.topology, options.queue);
    this.wrapper = this.createWrapper();
    const every = options.stallCheckMs ?? 5_000;
    if (every > 0) {
      this.stallTimer = setInterval(() => void this.checkStalled(every), every);
      this.stallTimer.unref();
    }
  }

  /** Deliveries being handled right now. */
  get busy(): number {
    return this.inFlight.size;
  }

  /** Stops consuming, lets in-flight deliveries finish (up to `timeoutMs`), then closes the channel. */
  async stop(timeoutMs = 30_000): Promise<void> {
    this.stopping = true;
    this.stopSignal.abort();
    clearInterval(this.stallTimer);
    const channel = this.channel;
    if (channel && this.consumerTag) await channel.cancel(this.consumerTag).catch(() => undefined);
    const deadline = Date.now() + timeoutMs;
    while (this.inFlight.size > 0 && Date.now() < deadline) {
      await Promise.race([Promise.allSettled([...this.inFlight]), sleep(Math.max(0, deadline - Date.now()))]);
    }
    this.flushAck();
    await this.wrapper.close();
  }

  /** Sends the held ack of the last settled batch, if its channel is still the current one. */
  flushAck(): void {
    const pending = this.pendingAck;
    this.pendingAck = undefined;
    this.heldDeliveries = 0;
    if (!pending || pending.channel !== this.channel) return; // a closed channel's deliveries come again
    try {
      pending.channel.ack(pending.raw, true);
    } catch (error) {
      this.log.warn(
        { err: error, queue: this.options.queue },
        'could not ack a batch; the broker will redeliver it',
      );
    }
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
          this.lastDeliveryAt = performance.now();
          this.stalledChecks = 0;
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
    return (await this.readyMessages()) !== undefined;
  }

  /** The queue's ready messages; undefined when it does not exist (or no connection). */
  private readyMessages(): Promise<number | undefined> {
    return readyMessages(this.options.connection, this.options.queue);
  }

  /**
   * The broker can hold deliveries back from a live subscription: seen with RabbitMQ 3.10, a
   * quorum queue deleted and declared anew at once under the same name took over the old
   * queue's consumer without a cancel, counted a prefetch window of deliveries as handed to it,
   * and the channel never passed them on; nothing moved again. An idle consumer (nothing in
   * flight, no delivery since the last check) whose queue has ready messages at two checks in a
   * row subscribes again on a new channel, which gives the held deliveries back to the queue.
   * Under load deliveries keep coming and the check costs nothing; idle, it is one passive
   * declare per interval.
   */
  private async checkStalled(everyMs: number): Promise<void> {
    const channel = this.channel;
    const idle = this.inFlight.size === 0 && this.ready.length === 0 && this.holding.size === 0;
    if (
      this.stopping ||
      !channel ||
      !this.consumerTag ||
      !idle ||
      performance.now() - this.lastDeliveryAt < everyMs
    ) {
      this.stalledChecks = 0;
      return;
    }
    const ready = await this.readyMessages();
    if (!ready || this.channel !== channel || performance.now() - this.lastDeliveryAt < everyMs) {
      this.stalledChecks = 0;
      return;
    }
    this.stalledChecks += 1;
    if (this.stalledChecks < 2) return;
    this.stalledChecks = 0;
    this.log.warn(
      { queue: this.options.queue, ready, idleMs: Math.round(performance.now() - this.lastDeliveryAt) },
      'no delivery although the queue has ready messages; resubscribing on a new channel',
    );
    this.resubscribeOnNewChannel();
  }

  /** Drops the current channel (the broker requeues what it holds unacked) and subscribes on a new one. */
  private resubscribeOnNewChannel(): void {
    this.channel = undefined;
    this.consumerTag = undefined;
    const old = this.wrapper;
    this.wrapper = this.createWrapper();
    void old.close().catch(() => undefined);
  }

  /**
   * The broker cancelled the subscription (its queue was deleted): subscribe again on a NEW
   * channel. A channel that consumed from a deleted quorum queue can keep that queue's state:
   * seen here, a queue declared anew under the same name then counted its first prefetch window
   * of deliveries as handed to our consumer, the channel never passed them on, and nothing was
   * delivered again. A fresh channel starts with no state.
   */
  private onCancelledByServer(channel: Channel): void {
    this.consumerTag = undefined;
    if (this.stopping || this.channel !== channel) return;
    this.log.warn(
      { queue: this.options.queue },
      'subscription cancelled by the broker; resubscribing on a new channel',
    );
    this.resubscribeOnNewChannel();
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
    this.lastDeliveryAt = performance.now();
    const lane = this.options.suspects;
    if (lane && isSuspect(raw)) {
      this.track(this.runSuspect(lane, channel, raw));
      return;
    }
    if (this.options.batchHandler) {
      this.ready.push({ channel, raw });
      if (!this.pumping) this.track(this.pump());
      return;
    }
    this.track(this.inLane(() => this.processBatch([{ channel, raw }], false)));
  }

  /** Runs a batch through the process's suspect lane, when there is one (see {@link SuspectLane}). */
  private inLane(work: () => Promise<void>): Promise<void> {
    return this.options.suspects ? this.options.suspects.withBatch(work) : work();
  }

  /**
   * A redelivered delivery runs alone in the process (see {@link SuspectLane}), its messages one
   * at a time; one that killed the process too often already is dead-lettered with the reason.
   */
  private async runSuspect(lane: SuspectLane, channel: Channel, raw: ConsumeMessage): Promise<void> {
    this.suspects.add(raw);
    try {
      await lane.alone(
        this.options.queue,
        raw,
        () => this.processBatch([{ channel, raw }], false),
        (error) => this.deadLetterCrashLoop(channel, raw, error),
      );
    } finally {
      this.suspects.delete(raw);
    }
  }

  /** Dead-letters a delivery the lane found killing its process, then acks it (or holds it until the broker takes the letter). */
  private async deadLetterCrashLoop(
    channel: Channel,
    raw: ConsumeMessage,
    error: CrashLoopError,
  ): Promise<void> {
    const started = performance.now();
    const work = () => publishFailure(this.options, this.log, raw, error, 'crash-loop');
    try {
      const outcome = await work();
      this.settle(channel, raw, true);
      this.options.onOutcome?.(outcome, typeOf(raw), performance.now() - started);
    } catch (publishError) {
      this.log.error(
        { err: publishError, ...messageLogFields(raw, this.options.queue) },
        'could not dead-letter a crash-looping message; holding the delivery in its queue and trying again',
      );
      if (!this.stopping && this.channel === channel) this.hold(channel, raw, [{ raw, work }]);
    }
  }

  private track(work: Promise<void>): void {
    const tracked = work.finally(() => this.inFlight.delete(tracked));
    this.inFlight.add(tracked);
  }

  /** Batch mode: hands every ready delivery to the batch handler, one batch at a time, until none is left. */
  private async pump(): Promise<void> {
    this.pumping = true;
    try {
      while (this.ready.length > 0) {
        // The batch is taken once the lane lets it run: what arrived while it waited joins it.
        await this.inLane(async () => {
          const batch = this.ready;
          this.ready = [];
          if (batch.length > 0) await this.processBatch(batch);
        });
      }
    } finally {
      this.pumping = false;
    }
  }

  /**
   * Handles deliveries together: every message a batch message carries is handled as a delivery
   * of its own (see {@link unpackMessages}), and each physical delivery is settled once, when
   * all of its messages are done. In batch mode the messages go to the batch handler together and
   * the deliveries are settled with one `multiple` ack; otherwise (`handler`) one by one.
   */
  private async processBatch(batch: readonly Delivery[], batched = true): Promise<void> {
    const started = performance.now();
    const entries = this.expand(batch);
    this.options.onBatch?.(entries.length);
    const traced = this.options.tracer && entries.map(({ raw }) => this.options.tracer!.start(raw));
    const outcomes = new Map<ConsumeMessage, DeliveryOutcome>();
    /** Per physical delivery: its messages whose retry or dead letter the broker did not take. */
    const unsent = new Map<ConsumeMessage, PendingFailure[]>();
    const attempt = async (entry: Entry, work: () => Promise<DeliveryOutcome>) => {
      try {
        outcomes.set(entry.raw, await work());
      } catch (error) {
        this.log.error(
          { err: error, ...messageLogFields(entry.raw, this.options.queue) },
          'could not retry or dead-letter; holding the delivery in its queue and trying again',
        );
        const pending = unsent.get(entry.parent) ?? [];
        pending.push({ raw: entry.raw, work });
        unsent.set(entry.parent, pending);
      }
    };
    const valid: InboundMessage[] = [];
    const entryOf = new Map<InboundMessage, Entry>();
    await Promise.all(
      entries.map(async (entry) => {
        let fault = entry.fault;
        if (fault === undefined) {
          try {
            const message = this.parse(entry.raw);
            valid.push(message);
            entryOf.set(message, entry);
            return;
          } catch (error) {
            fault = error;
          }
        }
        await attempt(entry, () =>
          publishFailure(this.options, this.log, entry.raw, fault, FailureClass.permanent),
        );
      }),
    );
    if (valid.length > 0) {
      const rejected = batched ? await this.runBatch(valid) : 'one-by-one';
      if (rejected === 'one-by-one') {
        for (const message of valid) {
          await attempt(entryOf.get(message)!, () => this.handleParsed(message.raw, message));
        }
      } else {
        const refused = new Map(rejected.map((r) => [r.message, r.error]));
        for (const message of valid) {
          const entry = entryOf.get(message)!;
          if (!refused.has(message)) {
            outcomes.set(entry.raw, DeliveryOutcome.acked);
            continue;
          }
          const error = refused.get(message);
          await attempt(entry, () =>
            publishFailure(this.options, this.log, entry.raw, error, this.classify(error)),
          );
        }
      }
    }
    // A delivery with a message whose retry or dead letter is not published yet stays unacked:
    // held (tried again until the broker takes it), or requeued when its channel is gone.
    const requeued = new Set<ConsumeMessage>();
    for (const { channel, raw } of batch) {
      const pending = unsent.get(raw);
      if (!pending) continue;
      if (!this.stopping && this.channel === channel) this.hold(channel, raw, pending);
      else requeued.add(raw);
    }
    if (batched) this.settleBatch(batch, requeued);
    else {
      for (const { channel, raw } of batch) {
        if (!this.holding.has(raw)) this.settle(channel, raw, !requeued.has(raw));
      }
    }
    const durationMs = performance.now() - started;
    entries.forEach((entry, i) => {
      const outcome = outcomes.get(entry.raw) ?? DeliveryOutcome.requeued;
      traced?.[i]!(outcome);
      // A held message is reported once its retry or dead letter is published.
      if (!outcomes.has(entry.raw) && this.holding.has(entry.parent)) return;
      this.options.onOutcome?.(outcome, typeOf(entry.raw), durationMs);
    });
  }

  /**
   * The messages of `batch`, each with the delivery that carried it: a batch message's messages
   * in order, any other delivery as itself. A delivery over the size limit, or a batch that
   * cannot be read, is one entry with its fault: it is dead-lettered whole.
   */
  private expand(batch: readonly Delivery[]): Entry[] {
    const entries: Entry[] = [];
    const limit = this.options.publisher.maxMessageBytes;
    for (const { channel, raw } of batch) {
      if (raw.content.length > limit) {
        const fault = new MessageTooLargeError(
          `a message of ${raw.content.length} bytes is over the limit of ${limit} bytes (AMQP_MAX_MESSAGE_BYTES)`,
        );
        entries.push({ channel, raw, parent: raw, fault });
        continue;
      }
      try {
        const unpacked = unpackMessages(raw, this.options.queue, this.bindings);
        if (!unpacked) entries.push({ channel, raw, parent: raw });
        else for (const message of unpacked) entries.push({ channel, raw: message, parent: raw });
      } catch (fault) {
        entries.push({ channel, raw, parent: raw, fault });
      }
    }
    return entries;
  }

  /**
   * Runs the batch handler; waits out an outage of the gated dependency and runs it again.
   * Any other failure of a batch of several messages means: run them one at a time.
   */
  private async runBatch(
    messages: readonly InboundMessage[],
  ): Promise<readonly RejectedMessage[] | 'one-by-one'> {
    for (;;) {
      try {
        return (await this.options.batchHandler!(messages)) ?? [];
      } catch (error) {
        if (await this.waitOutOutage(error).catch(() => false)) continue;
        if (messages.length > 1) {
          this.log.warn(
            { err: error, queue: this.options.queue, size: messages.length },
            'batch failed; running its messages one at a time',
          );
        }
        return 'one-by-one';
      }
    }
  }

  /**
   * Keeps a delivery unacked (it stays in its queue, out of the batches' `multiple` acks) and
   * publishes the retries or dead letters of its `pending` messages again after 1, 2, 4 … 10 s
   * until the broker takes them all, then acks it: a dead letter is published once, with its
   * reason, when its target is back. Stopping or losing the channel ends the wait: the delivery
   * goes back to its queue (requeued, or redelivered by the broker).
   */
  private hold(channel: Channel, raw: ConsumeMessage, pending: PendingFailure[]): void {
    this.holding.add(raw);
    const started = performance.now();
    this.track(
      (async () => {
        let left = pending;
        for (
          let delay = 1_000;
          left.length > 0 && !this.stopping && this.channel === channel;
          delay = Math.min(delay * 2, 10_000)
        ) {
          await pause(delay, undefined, { signal: this.stopSignal.signal }).catch(() => undefined);
          if (this.stopping || this.channel !== channel) break;
          const still: PendingFailure[] = [];
          for (const failure of left) {
            try {
              const outcome = await failure.work();
              this.options.onOutcome?.(outcome, typeOf(failure.raw), performance.now() - started);
            } catch (error) {
              still.push(failure);
              this.log.warn(
                { err: error, ...messageLogFields(failure.raw, this.options.queue) },
                'still cannot retry or dead-letter; holding the delivery',
              );
            }
          }
          left = still;
        }
        this.holding.delete(raw);
        this.settle(channel, raw, left.length === 0);
        for (const failure of left) {
          this.options.onOutcome?.(
            DeliveryOutcome.requeued,
            typeOf(failure.raw),
            performance.now() - started,
          );
        }
      })(),
    );
  }

  /**
   * Settles a batch: one `multiple` ack when every delivery of it came on the current channel and
   * is to be acked (batches run one at a time, so no earlier delivery is still open), otherwise
   * one settlement each.
   */
  private settleBatch(batch: readonly Delivery[], requeued: ReadonlySet<ConsumeMessage>): void {
    const last = batch[batch.length - 1];
    const allAcked = batch.every(
      ({ channel, raw }) => channel === last?.channel && !requeued.has(raw) && !this.holding.has(raw),
    );
    // A `multiple` ack would also ack the deliveries held for a retried dead letter, and the
    // suspects waiting for their turn alone.
    if (
      last &&
      allAcked &&
      this.channel === last.channel &&
      this.holding.size === 0 &&
      this.suspects.size === 0
    ) {
      // Batches run one at a time and every earlier delivery of the channel is settled or in the
      // held ack, so one `multiple` ack on the last delivery covers them all: hold it (see AckFlusher).
      if (this.pendingAck && this.pendingAck.channel !== last.channel) this.heldDeliveries = 0;
      this.pendingAck = last;
      this.heldDeliveries += batch.length;
      // Held deliveries still count against the prefetch window: past half of it, the broker
      // would soon stop sending, so the ack leaves now.
      if (this.heldDeliveries * 2 >= (this.options.prefetch ?? 50)) this.flushAck();
      else (this.options.ackFlusher ?? sharedAckFlusher).hold(this);
      return;
    }
    // Settled one by one: the held ack goes first, so it covers only the batches before this one.
    this.flushAck();
    for (const { channel, raw } of batch) {
      if (!this.holding.has(raw)) this.settle(channel, raw, !requeued.has(raw));
    }
  }

  /** Parses a message against its contract (see {@link parseInbound}). */
  private parse(raw: ConsumeMessage): InboundMessage {
    return parseInbound(raw, this.options.contracts);
  }

  private async handleParsed(raw: ConsumeMessage, message: InboundMessage): Promise<DeliveryOutcome> {
    for (;;) {
      let error: unknown;
      try {
        await this.handleOne(message);
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
      if (!(await this.waitOutOutage(error)))
        return publishFailure(this.options, this.log, raw, error, this.classify(error));
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

/** A delivery, with the channel it came on. */
interface Delivery {
  readonly channel: Channel;
  readonly raw: ConsumeMessage;
}

/** One message of a batch of deliveries: a delivery, or one of the messages a batch message carries. */
interface Entry {
  readonly channel: Channel;
  /** The message, as the delivery its own message would have been. */
  readonly raw: ConsumeMessage;
  /** The delivery that carried it, settled once all of its messages are done. */
  readonly parent: ConsumeMessage;
  /** Why it cannot be handled at all (over the size limit, an unreadable batch). */
  readonly fault?: unknown;
}

/** A message's retry or dead letter that the broker did not confirm, to publish again. */
interface PendingFailure {
  readonly raw: ConsumeMessage;
  readonly work: () => Promise<DeliveryOutcome>;
}

function typeOf(raw: ConsumeMessage): string {
  return typeof raw.properties.type === 'string' ? raw.properties.type : 'unknown';
}

/** The single-delivery handler: `handler`, or the batch handler with a batch of one. */
function singleHandlerOf(options: ConsumerOptions): (message: InboundMessage) => Promise<void> {
  if (options.handler) return options.handler;
  const batchHandler = options.batchHandler;
  if (!batchHandler) throw new Error(`consumer of ${options.queue}: give it a handler or a batchHandler`);
  return async (message) => {
    const [rejected] = (await batchHandler([message])) ?? [];
    if (rejected) throw rejected.error;
  };
}
