// One consumer of the event stream per process, fanned out to every projection runner in it.
import type { AmqpConnectionManager, Logger } from '@sagaport/rabbitmq';
import { silentLogger } from '@sagaport/rabbitmq';
import type { Channel, ConsumeMessage } from 'amqplib';
import { offsetOf, STREAM_OFFSET_HEADER } from './stream.js';

/** A stream delivery handed to a subscriber. */
export interface StreamDelivery {
  readonly offset: number;
  readonly message: ConsumeMessage;
}

/** A reader of the stream through a {@link SharedStreamReader}. */
export interface StreamSubscriber {
  /** The first offset it still needs (the one after the last it applied). */
  position(): number;
  /** A delivery at or after its position, in stream order. */
  deliver(delivery: StreamDelivery): void;
  /** The stream is read again from an earlier offset: drop what was delivered and not yet applied. */
  reset(): void;
}

/** A subscriber's handle: it releases what it applied (so the reader can ack) and closes when done. */
export interface StreamSubscription {
  /** Everything up to `offset` is applied (or not needed): the reader may ack it. */
  release(offset: number): void;
  close(): void;
}

interface Entry {
  readonly subscriber: StreamSubscriber;
  released: number;
  /**
   * Joined, and the reader has not read again from its position yet: the current consumer's
   * deliveries may lie ahead of it, and one taken now would make it skip the offsets between.
   */
  joining: boolean;
}

/**
 * Reads a stream once for several subscribers (the projection runners of a process): the broker
 * delivers each message once instead of once per projection. It consumes from the lowest
 * position of its subscribers and hands each delivery to every subscriber that still needs it.
 * A message is acked (which for a stream only returns consumer credit) once every subscriber
 * released it, so the prefetch window bounds what the slowest one holds in memory. A subscriber
 * that joins behind the reader makes it read again from there: the others are reset and drop
 * offsets they applied already (a runner reads from its checkpoint and skips what it has).
 */
export class SharedStreamReader {
  private readonly entries = new Set<Entry>();
  private wrapper: ReturnType<AmqpConnectionManager['createChannel']> | undefined;
  private channel: Channel | undefined;
  /** Which consume is current: deliveries of an earlier one (cancelled, or a closed channel's) are void. */
  private generation = 0;
  /** Delivered and not yet acked, in stream order. */
  private unacked: StreamDelivery[] = [];
  private restarting: Promise<void> = Promise.resolve();
  private readonly log: Logger;

  constructor(
    private readonly connection: AmqpConnectionManager,
    private readonly queue: string,
    private readonly options: { prefetch?: number; logger?: Logger } = {},
  ) {
    this.log = options.logger ?? silentLogger;
  }

  /** Adds a subscriber; the reader reads from its position if it is behind. */
  subscribe(subscriber: StreamSubscriber): StreamSubscription {
    const entry: Entry = { subscriber, released: subscriber.position() - 1, joining: true };
    this.entries.add(entry);
    this.restart();
    return {
      release: (offset) => {
        if (offset > entry.released) entry.released = offset;
        this.ackReleased();
      },
      close: () => {
        if (!this.entries.delete(entry)) return;
        if (this.entries.size === 0) this.stop();
        else this.ackReleased();
      },
    };
  }

  /** Runs `step` after every earlier setup or restart: consumes never overlap. */
  private serially(step: () => Promise<void>): Promise<void> {
    const next = this.restarting.then(step);
    this.restarting = next.catch(() => undefined);
    return next;
  }

  /**
   * Reads from the lowest position again (the first subscriber, one joining behind) on a new
   * channel. Not a cancel and a new consume on the same channel: a stream consumer's deliveries
   * can still arrive after its cancel is confirmed, and amqplib fails the whole connection on a
   * delivery for a consumer it no longer knows.
   */
  private restart(): void {
    this.serially(async () => {
      const old = this.wrapper;
      this.wrapper = undefined;
      this.channel = undefined;
      this.generation += 1;
      this.unacked = [];
      if (old) await old.close().catch(() => undefined);
      if (this.entries.size === 0) return;
      let created: ReturnType<AmqpConnectionManager['createChannel']> | undefined = undefined;
      created = this.connection.createChannel({
        json: false,
        // A new channel (this one, or after a reconnect) reads from the lowest position; a
        // closed wrapper's late setup does nothing.
        setup: (channel: Channel) =>
          this.serially(async () => {
            if (this.wrapper === created) await this.consume(channel);
          }),
      });
      this.wrapper = created;
      // A missing stream or a broker restart cutting the setup short: set up again on the next connection.
      created.on('error', (error: Error) =>
        this.log.warn({ err: error, queue: this.queue }, 'stream reader channel error'),
      );
    }).catch((error: unknown) => {
      this.log.warn({ err: error, queue: this.queue }, 'stream reader could not read again');
    });
  }

  private async consume(channel: Channel): Promise<void> {
    this.channel = channel;
    // What an earlier channel delivered is void (a stream does not requeue: an ack only returns credit).
    this.generation += 1;
    const mine = this.generation;
    this.unacked = [];
    for (const entry of this.entries) {
      entry.subscriber.reset();
      entry.joining = false;
    }
    if (this.entries.size === 0) return;
    const from = Math.min(...[...this.entries].map((e) => e.subscriber.position()));
    for (const entry of this.entries)
      entry.released = Math.max(entry.released, entry.subscriber.position() - 1);
    await channel.prefetch(this.options.prefetch ?? 1_000);
    await channel.consume(
      this.queue,
      (message) => {
        if (!message || this.generation !== mine) return;
        const delivery = { offset: offsetOf(message), message };
        this.unacked.push(delivery);
        for (const entry of this.entries) {
          if (
            !entry.joining &&
            delivery.offset >= entry.subscriber.position() &&
            delivery.offset > entry.released
          ) {
            entry.subscriber.deliver(delivery);
          }
        }
        this.ackReleased();
      },
      { arguments: { [STREAM_OFFSET_HEADER]: Math.max(0, from) } },
    );
  }

  /** Acks (with `multiple`) the deliveries every subscriber has released or skipped. */
  private ackReleased(): void {
    const channel = this.channel;
    if (!channel || this.unacked.length === 0) return;
    let upTo = Infinity;
    for (const entry of this.entries) {
      upTo = Math.min(upTo, Math.max(entry.released, entry.subscriber.position() - 1));
    }
    let last = -1;
    while (last + 1 < this.unacked.length && this.unacked[last + 1]!.offset <= upTo) last += 1;
    if (last < 0) return;
    channel.ack(this.unacked[last]!.message, true);
    this.unacked = this.unacked.slice(last + 1);
  }

  private stop(): void {
    const wrapper = this.wrapper;
    this.wrapper = undefined;
    this.channel = undefined;
    this.generation += 1;
    this.unacked = [];
    void this.serially(async () => {
      await wrapper?.close().catch(() => undefined);
    }).catch(() => undefined);
  }

  /** Closes the channel (the subscribers stop first). */
  async close(): Promise<void> {
    this.entries.clear();
    this.stop();
    await this.restarting;
  }
}
