// Publishes a batch's replies and events with confirms, right after its commit.
import type { NewOutboxMessage } from '@sagaport/db';
import {
  batchEvents,
  buildMessage,
  separatelyRoutedEvents,
  type ConfirmPublisher,
  type OutgoingMessage,
  type Topology,
} from '@sagaport/rabbitmq';
import type { ConfirmedPublish } from './command-handler.js';

/** Events waiting for the next stream publish, and who waits for their confirms. */
interface PendingEvents {
  readonly events: readonly OutgoingMessage[];
  readonly done: { resolve: () => void; reject: (error: unknown) => void };
}

/**
 * Gathers the domain events of the process's publish rounds into shared stream messages, like a
 * database's group commit: a round's events go out at once when no events publish is awaiting
 * its confirms; otherwise they wait for it and leave with every round that came meanwhile, in
 * one batch (`batchEvents`). Nothing waits on a timer, so at low load every round publishes
 * alone, as before; under load the four workers' rounds, each a stream message of its own
 * before, share one. A round resolves once the broker confirmed its events, so a batch of
 * commands is still acked only after its events are in the stream; a failed publish rejects
 * every round it carried (their commands are redelivered and their stored events published
 * again).
 */
export class EventPump {
  private waiting: PendingEvents[] = [];
  private flushing = false;

  constructor(
    private readonly publishAll: (messages: readonly OutgoingMessage[]) => Promise<void>,
    private readonly topology: Topology,
    private readonly separate: ReadonlyMap<string, readonly string[]>,
  ) {}

  /** Publishes `events` (messages to the events exchange) with the next flush; resolves when confirmed. */
  submit(events: readonly OutgoingMessage[]): Promise<void> {
    if (events.length === 0) return Promise.resolve();
    const confirmed = new Promise<void>((resolve, reject) => {
      this.waiting.push({ events, done: { resolve, reject } });
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
          const messages = batchEvents(
            this.topology,
            rounds.flatMap((round) => round.events),
            this.separate,
          );
          await this.publishAll(messages);
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

/**
 * Publishes every message at once (their confirms pipelined) and resolves when all are
 * confirmed; rejects with the first failure, and the caller leaves the commands unacked.
 * Replies go out at once; the domain events go through an {@link EventPump}, which gathers the
 * events of rounds that publish at the same time into shared stream messages.
 * `twice` publishes each message twice (fault injection: FAULT_DUPLICATE_PUBLISHES).
 */
export function publishConfirmed(
  publisher: ConfirmPublisher,
  topology: Topology,
  twice: boolean,
): ConfirmedPublish {
  const publishAll = async (messages: readonly OutgoingMessage[]) => {
    await Promise.all(messages.map((message) => publisher.publish(message)));
    if (twice) await Promise.all(messages.map((message) => publisher.publish(message)));
  };
  const pump = new EventPump(publishAll, topology, separatelyRoutedEvents(topology));
  return async (messages: readonly NewOutboxMessage[]) => {
    const replies: OutgoingMessage[] = [];
    const events: OutgoingMessage[] = [];
    for (const m of messages) {
      const message = buildMessage({
        exchange: m.exchange,
        routingKey: m.routingKey,
        type: m.messageType,
        payload: m.payload,
        messageId: m.messageId,
        ...(m.correlationId ? { correlationId: m.correlationId } : {}),
        headers: m.headers ?? {},
      });
      (m.exchange === topology.exchanges.events ? events : replies).push(message);
    }
    await Promise.all([publishAll(replies), pump.submit(events)]);
  };
}
