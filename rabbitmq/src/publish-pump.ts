// The publish pump: publishes that come while others await their confirms leave together, packed.
import type { OutgoingMessage } from './envelope.js';

/** Messages waiting for the next publish, and who waits for their confirms. */
interface PendingRound {
  readonly messages: readonly OutgoingMessage[];
  readonly done: { resolve: () => void; reject: (error: unknown) => void };
}

/**
 * A group commit for publishes. A round of messages goes out at once when no publish of the pump
 * awaits its confirms; otherwise it waits for that publish and leaves with every round that came
 * meanwhile, the lot packed together by `pack` (into batch messages: the broker's cost is per
 * message). Nothing waits on a timer, so at low load every round publishes alone and at once;
 * under load the rounds of a process share messages. A round resolves once the broker confirmed
 * every message that carried it, and a failed publish rejects every round it carried.
 */
export class PublishPump {
  private waiting: PendingRound[] = [];
  private flushing = false;

  constructor(
    /** Publishes every message (confirms pipelined); resolves when all are confirmed. */
    private readonly publishAll: (messages: readonly OutgoingMessage[]) => Promise<void>,
    /** Packs the rounds' messages, in order, into the messages to publish. */
    private readonly pack: (messages: readonly OutgoingMessage[]) => OutgoingMessage[],
  ) {}

  /** Publishes `messages` with the next flush; resolves when the broker confirmed them. */
  submit(messages: readonly OutgoingMessage[]): Promise<void> {
    if (messages.length === 0) return Promise.resolve();
    const confirmed = new Promise<void>((resolve, reject) => {
      this.waiting.push({ messages, done: { resolve, reject } });
    });
    if (!this.flushing) void this.flush();
    return confirmed;
  }

  private async flush(): Promise<void> {
    this.flushing = true;
    try {
      while (this.waiting.length > 0) {
        const rounds = this.waiting;
        this.waiting = [];
        try {
          await this.publishAll(this.pack(rounds.flatMap((round) => round.messages)));
          for (const round of rounds) round.done.resolve();
        } catch (error) {
          for (const round of rounds) round.done.reject(error);
        }
      }
    } finally {
      this.flushing = false;
    }
  }
}
