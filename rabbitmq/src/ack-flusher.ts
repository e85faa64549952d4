// Acks of batch consumers, held a few milliseconds and sent together: one write for every consumer of the process.
import type { Channel, ConsumeMessage } from 'amqplib';

/** Something holding an ack back until {@link AckFlusher} tells it to send it. */
export interface HeldAck {
  flushAck(): void;
}

/**
 * Each batch consumer acks its batch with one `multiple` ack; sending it at once costs a write
 * system call (and, for a quorum queue, a log entry in the broker) per batch. Held back for a few
 * milliseconds instead, the ack of a batch is replaced by the next batch's, which covers both, and
 * the acks of every consumer of the process leave in the same tick, which the patched amqplib
 * writes as one `writev` per connection. Nothing waits on an ack: the batch's effects are
 * committed and its replies confirmed before it is held. A held ack that never leaves (the
 * process dies) means a redelivery, which the inbox answers.
 */
export class AckFlusher {
  private readonly waiting = new Set<HeldAck>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly delayMs: number) {}

  hold(holder: HeldAck): void {
    this.waiting.add(holder);
    this.timer ??= setTimeout(() => this.flush(), this.delayMs);
  }

  /** Sends every held ack now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const holders = [...this.waiting];
    this.waiting.clear();
    for (const holder of holders) holder.flushAck();
  }
}

/** How long batch acks are held by default: short against a delivery's life, long against a batch. */
export const DEFAULT_ACK_DELAY_MS = 20;

/** The process-wide flusher consumers share unless given their own. */
export const sharedAckFlusher = new AckFlusher(DEFAULT_ACK_DELAY_MS);

/** The last delivery of a settled batch whose `multiple` ack is held. */
export interface PendingAck {
  readonly channel: Channel;
  readonly raw: ConsumeMessage;
}
