// The confirm publisher: a publish resolves only when the broker has taken responsibility for it.
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { ConfirmChannel, Message } from 'amqplib';
import type { AmqpConnectionManager } from './connection.js';
import { defaultMaxMessageBytes } from './config.js';
import type { OutgoingMessage } from './envelope.js';
import { Semaphore } from './semaphore.js';

/** Why a publish was not confirmed; `reason` is stable for metrics and callers' decisions. */
export class PublishError extends Error {
  override readonly name = 'PublishError';
  constructor(
    /** `too-large` is the message's fault (permanent); the others may pass on a retry (`classifyError`). */
    readonly reason: 'nacked' | 'unroutable' | 'connection-lost' | 'timeout' | 'closed' | 'too-large',
    message: string,
  ) {
    super(message);
  }
}

export interface PublisherOptions {
  /** Publishes awaiting their confirm at once; further publishes wait for a free slot. */
  readonly maxInFlight?: number;
  /** Time from taking an in-flight slot to the confirm, waiting for a connection included. */
  readonly timeoutMs?: number;
  readonly name?: string;
  /** A body larger than this is refused at once (`too-large`), never sent; default 4 MiB. */
  readonly maxMessageBytes?: number;
}

interface InFlight {
  readonly channel: ConfirmChannel;
  readonly messageId: string;
  returned: boolean;
  settle(error?: PublishError): void;
}

/**
 * Publishes with publisher confirms and `mandatory`. `publish` resolves on the broker's ack and
 * rejects with a PublishError on a nack, an unroutable message, a lost connection or a timeout,
 * so a caller (the outbox relay) keeps its copy until the message is safe. In-flight publishes
 * are bounded: past `maxInFlight`, `publish` waits (backpressure) instead of buffering.
 *
 * Unlike amqp-connection-manager's own `publish`, nothing is buffered across a reconnect: a
 * message whose confirm was lost with the connection is rejected, and its owner decides.
 *
 * A publish to an exchange that does not exist makes the broker close the channel (404): the
 * publishes in flight on it are rejected (`connection-lost`, the broker's reason in the message),
 * the connection and every other channel of the process stay up, and a new channel is opened.
 */
export class ConfirmPublisher {
  private wrapper: ChannelWrapper;
  private readonly slots: Semaphore;
  private readonly timeoutMs: number;
  private channel: ConfirmChannel | undefined;
  private readonly inFlight = new Set<InFlight>();
  private readonly byMessageId = new Map<string, InFlight[]>();
  private drained: Promise<void> | undefined;
  private attached!: Promise<void>;
  private markAttached!: () => void;
  private closing = false;
  /** Why the broker closed the current channel, if it did (a publish to a missing exchange). */
  private closedBecause: Error | undefined;

  constructor(
    private readonly connection: AmqpConnectionManager,
    private readonly options: PublisherOptions = {},
  ) {
    this.slots = new Semaphore(options.maxInFlight ?? 1000);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.expectChannel();
    this.wrapper = this.createWrapper();
  }

  private createWrapper(): ChannelWrapper {
    const wrapper = this.connection.createChannel({
      name: this.options.name ?? 'publisher',
      confirm: true,
      setup: (channel: ConfirmChannel) => this.attach(channel),
    });
    // Setup errors are reported by publish timeouts; keep the emitter from throwing.
    wrapper.on('error', () => {});
    return wrapper;
  }

  /** Publishes awaiting a confirm right now. */
  get pending(): number {
    return this.inFlight.size;
  }

  /** The largest body this publisher sends (AMQP_MAX_MESSAGE_BYTES). */
  get maxMessageBytes(): number {
    return this.options.maxMessageBytes ?? defaultMaxMessageBytes;
  }

  /**
   * Publishes one message; see the class comment for when it resolves and rejects. A body over
   * `maxMessageBytes` is rejected at once with `too-large`: the broker would refuse it too (its
   * `max_message_size`), by closing the channel, and no retry can make it smaller.
   */
  async publish(message: OutgoingMessage): Promise<void> {
    if (this.closing) throw new PublishError('closed', 'publisher is closed');
    if (message.content.length > this.maxMessageBytes) {
      throw new PublishError(
        'too-large',
        `a message of ${message.content.length} bytes is over the limit of ${this.maxMessageBytes} bytes (AMQP_MAX_MESSAGE_BYTES)`,
      );
    }
    // Waiting for a slot is bounded too: every in-flight publish settles within its own timeout.
    await this.slots.acquire();
    const deadline = Date.now() + this.timeoutMs;
    try {
      const channel = await this.readyChannel(deadline);
      if (!channel)
        throw new PublishError('timeout', `not connected to the broker within ${this.timeoutMs} ms`);
      await this.send(channel, message, deadline);
    } finally {
      this.slots.release();
    }
  }

  /** Waits for every in-flight publish to settle, then closes the channel. */
  async close(): Promise<void> {
    this.closing = true;
    while (this.inFlight.size > 0 || this.slots.inUse > 0) {
      await new Promise((r) => setTimeout(r, 10));
    }
    await this.wrapper.close();
  }

  /** One shared promise for "a channel is open", so waiting publishes add no listener each. */
  private expectChannel(): void {
    this.attached = new Promise((resolve) => (this.markAttached = resolve));
  }

  private attach(channel: ConfirmChannel): void {
    this.channel = channel;
    this.closedBecause = undefined;
    this.drained = undefined;
    this.markAttached();
    channel.on('return', (returned: Message) => this.onReturn(returned));
    // Without a listener amqplib's 'error' event (the broker closed the channel: a publish to a
    // missing exchange) throws in its frame loop and takes the whole connection down with it.
    channel.on('error', (error: Error) => {
      if (this.channel === channel) this.closedBecause = error;
    });
    channel.on('close', () => this.onChannelClosed(channel));
  }

  private onReturn(returned: Message): void {
    const id = returned.properties.messageId as string | undefined;
    const entry = id ? this.byMessageId.get(id)?.[0] : undefined;
    // A return always precedes the ack of the same message; the ack then rejects it.
    if (entry) entry.returned = true;
  }

  private onChannelClosed(channel: ConfirmChannel): void {
    const because = this.channel === channel ? this.closedBecause : undefined;
    if (this.channel === channel) {
      this.channel = undefined;
      this.expectChannel();
    }
    const message = because
      ? `the broker closed the channel before it confirmed (${because.message})`
      : 'channel closed before the broker confirmed';
    for (const entry of this.inFlight) {
      if (entry.channel === channel) entry.settle(new PublishError('connection-lost', message));
    }
    // amqp-connection-manager opens a channel again only after a reconnect. If the broker closed
    // this one alone, open a new one (a reconnect meanwhile has attached one already).
    if (!this.closing) setTimeout(() => this.reopen(), 1_000).unref();
  }

  private reopen(): void {
    if (this.closing || this.channel || !this.connection.isConnected()) return;
    const old = this.wrapper;
    this.wrapper = this.createWrapper();
    void old.close().catch(() => undefined);
  }

  private async readyChannel(deadline: number): Promise<ConfirmChannel | undefined> {
    while (!this.channel) {
      if (!(await this.within(this.attached, deadline))) return undefined;
    }
    while (this.drained) {
      if (!(await this.within(this.drained, deadline))) return undefined;
    }
    return this.channel;
  }

  private send(channel: ConfirmChannel, message: OutgoingMessage, deadline: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const { messageId } = message.properties;
      const timer = setTimeout(
        () => entry.settle(new PublishError('timeout', `no confirm within ${this.timeoutMs} ms`)),
        Math.max(0, deadline - Date.now()),
      );
      let settled = false;
      const entry: InFlight = {
        channel,
        messageId,
        returned: false,
        settle: (error) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.forget(entry);
          if (error) reject(error);
          else resolve();
        },
      };
      this.inFlight.add(entry);
      const sameId = this.byMessageId.get(messageId);
      if (sameId) sameId.push(entry);
      else this.byMessageId.set(messageId, [entry]);
      try {
        const hasRoom = channel.publish(
          message.exchange,
          message.routingKey,
          message.content,
          { ...message.properties, mandatory: true },
          (error: unknown) => this.onConfirm(entry, error),
        );
        if (!hasRoom) this.waitForDrain(channel);
      } catch (error) {
        entry.settle(new PublishError('connection-lost', `publish failed: ${(error as Error).message}`));
        // amqplib registered the confirm before the frame failed to encode: the channel would
        // credit every later confirm to the message before it. A new channel starts in step.
        void channel.close().catch(() => undefined);
      }
    });
  }

  private onConfirm(entry: InFlight, error: unknown): void {
    if (error) {
      const closed = error instanceof Error && error.message === 'channel closed';
      const because = this.channel === entry.channel ? this.closedBecause : undefined;
      entry.settle(
        !closed
          ? new PublishError('nacked', 'the broker refused the message (nack)')
          : because
            ? new PublishError(
                'connection-lost',
                `the broker closed the channel before it confirmed (${because.message})`,
              )
            : new PublishError('connection-lost', 'channel closed before the broker confirmed'),
      );
    } else if (entry.returned) {
      entry.settle(new PublishError('unroutable', 'no queue is bound for this exchange and routing key'));
    } else {
      entry.settle();
    }
  }

  private waitForDrain(channel: ConfirmChannel): void {
    if (this.drained) return;
    this.drained = new Promise<void>((resolve) => {
      const done = () => {
        channel.off('drain', done);
        channel.off('close', done);
        this.drained = undefined;
        resolve();
      };
      channel.on('drain', done);
      channel.on('close', done);
    });
  }

  private forget(entry: InFlight): void {
    this.inFlight.delete(entry);
    const sameId = this.byMessageId.get(entry.messageId);
    if (!sameId) return;
    const rest = sameId.filter((e) => e !== entry);
    if (rest.length > 0) this.byMessageId.set(entry.messageId, rest);
    else this.byMessageId.delete(entry.messageId);
  }

  /** Resolves true when `promise` settles before the deadline, false otherwise. */
  private async within(promise: Promise<unknown>, deadline: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([promise.then(() => true), expired]);
    } finally {
      clearTimeout(timer);
    }
  }
}
