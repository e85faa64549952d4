// Makes poison messages deterministically: takes the saga's first command off its queue and puts back a corrupted copy.
import { buildTopology } from '@sagaport/rabbitmq';
import { connectAdmin } from '@sagaport/rabbitmq/testing';

type ConfirmChannel = Awaited<ReturnType<Awaited<ReturnType<typeof connectAdmin>>['createConfirmChannel']>>;
type Taken = Exclude<Awaited<ReturnType<ConfirmChannel['get']>>, false>;

/** A change that breaks the order.create contract; the same change gives the same fingerprint. */
export type Corruption = (body: Record<string, unknown>) => Record<string, unknown>;

/** order.create with its first line's quantity as a string: a contract violation an operator can fix. */
export const quantityAsString: Corruption = (body) => {
  const items = body.items as { quantity: number }[];
  return {
    ...body,
    items: items.map((item, i) => (i === 0 ? { ...item, quantity: String(item.quantity) } : item)),
  };
};

/**
 * Waits until `count` commands sit in `<prefix>order.commands` (no order worker may run), then
 * replaces each by a copy with the same properties (message id, correlation id, type, headers)
 * and a corrupted body: the order worker, once started, dead-letters every copy at once.
 * Returns the saga ids (correlation ids) of the corrupted messages.
 */
export async function corruptOrderCommands(
  prefix: string,
  count: number,
  corrupt: Corruption,
): Promise<string[]> {
  const topology = buildTopology({ prefix });
  const queue = topology.queues.commands.order;
  const connection = await connectAdmin();
  try {
    const channel = await connection.createConfirmChannel();
    const deadline = Date.now() + 30_000;
    while ((await channel.checkQueue(queue)).messageCount < count) {
      if (Date.now() > deadline) throw new Error(`fewer than ${count} messages reached ${queue}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const taken: Taken[] = [];
    for (let i = 0; i < count; i++) {
      const message = await channel.get(queue, { noAck: false });
      if (!message) throw new Error(`${queue} emptied after ${i} messages`);
      taken.push(message);
    }
    for (const message of taken) {
      const body = JSON.parse(message.content.toString('utf8')) as Record<string, unknown>;
      const properties = Object.fromEntries(
        Object.entries(message.properties).filter(([, value]) => value !== undefined && value !== null),
      );
      channel.publish(
        topology.exchanges.commands,
        message.fields.routingKey,
        Buffer.from(JSON.stringify(corrupt(body))),
        properties,
      );
    }
    await channel.waitForConfirms();
    for (const message of taken) channel.ack(message);
    await channel.close();
    return taken.map((m) => String(m.properties.correlationId));
  } finally {
    await connection.close();
  }
}
