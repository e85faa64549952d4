// Builders of valid saga messages for tests.
import { randomUUID } from 'node:crypto';
import { buildMessage, type OutgoingMessage } from '../envelope.js';
import { routeOf, type Topology } from '../topology.js';

/** A valid `order.confirm` command for the test topology, with a fresh message id. */
export function orderConfirm(
  topology: Topology,
  overrides: { content?: Buffer; type?: string } = {},
): OutgoingMessage {
  const message = buildMessage({
    ...routeOf(topology, 'order.confirm'),
    type: 'order.confirm',
    payload: { orderId: randomUUID() },
    correlationId: randomUUID(),
  });
  return {
    ...message,
    content: overrides.content ?? message.content,
    properties: { ...message.properties, type: overrides.type ?? message.properties.type },
  };
}
