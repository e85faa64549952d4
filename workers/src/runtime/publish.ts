// Publishes a batch's replies and events with confirms, right after its commit.
import type { NewOutboxMessage } from '@sagaport/db';
import {
  batchByQueue,
  batchEvents,
  buildMessage,
  PublishPump,
  separatelyRoutedEvents,
  singleQueueRoutes,
  type ConfirmPublisher,
  type OutgoingMessage,
  type Topology,
} from '@sagaport/rabbitmq';
import type { ConfirmedPublish } from './command-handler.js';

/**
 * How the workers pack what their rounds publish: the domain events into stream batches
 * (`batchEvents`, which also addresses a copy of each order event to the inventory's queue), then
 * every group of messages bound for the same queue (the replies for the orchestrator, the order
 * events' copies) into one batch message (`batchByQueue`).
 */
export function packWorkerMessages(
  topology: Topology,
): (messages: readonly OutgoingMessage[]) => OutgoingMessage[] {
  const separate = separatelyRoutedEvents(topology);
  const routes = singleQueueRoutes(topology);
  return (messages) => batchByQueue(batchEvents(topology, messages, separate), routes);
}

/**
 * Publishes a round's replies and events (its confirms pipelined) and resolves when all are
 * confirmed; rejects with the first failure, and the caller leaves the commands unacked (a
 * redelivery publishes them again from the inbox). Rounds go through one {@link PublishPump} per
 * process: a round leaves at once when no publish awaits its confirms, otherwise with every
 * round that came meanwhile, so under load the four workers' replies travel to the orchestrator
 * in shared batch messages and their events to the stream in shared stream messages.
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
  const pump = new PublishPump(publishAll, packWorkerMessages(topology));
  return (messages: readonly NewOutboxMessage[]) =>
    pump.submit(
      messages.map((m) =>
        buildMessage({
          exchange: m.exchange,
          routingKey: m.routingKey,
          type: m.messageType,
          payload: m.payload,
          messageId: m.messageId,
          ...(m.correlationId ? { correlationId: m.correlationId } : {}),
          headers: m.headers ?? {},
        }),
      ),
    );
}
