// Publishes a batch's replies and events with confirms, right after its commit.
import type { NewOutboxMessage } from '@sagaport/db';
import {
  batchEvents,
  buildMessage,
  separatelyRoutedEvents,
  type ConfirmPublisher,
  type Topology,
} from '@sagaport/rabbitmq';
import type { ConfirmedPublish } from './command-handler.js';

/**
 * Publishes every message at once (their confirms pipelined) and resolves when all are
 * confirmed; rejects with the first failure, and the caller leaves the commands unacked.
 * The batch's domain events bound only to the stream travel together in event-batch messages.
 * `twice` publishes each message twice (fault injection: FAULT_DUPLICATE_PUBLISHES).
 */
export function publishConfirmed(
  publisher: ConfirmPublisher,
  topology: Topology,
  twice: boolean,
): ConfirmedPublish {
  const separate = separatelyRoutedEvents(topology);
  return async (messages: readonly NewOutboxMessage[]) => {
    const single = messages.map((m) =>
      buildMessage({
        exchange: m.exchange,
        routingKey: m.routingKey,
        type: m.messageType,
        payload: m.payload,
        messageId: m.messageId,
        ...(m.correlationId ? { correlationId: m.correlationId } : {}),
        headers: m.headers ?? {},
      }),
    );
    const outgoing = batchEvents(topology, single, separate);
    await Promise.all(outgoing.map((message) => publisher.publish(message)));
    if (twice) await Promise.all(outgoing.map((message) => publisher.publish(message)));
  };
}
