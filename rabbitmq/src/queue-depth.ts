// How many messages wait in a queue: a passive declare on a short-lived side channel.
import type { AmqpConnectionManager } from 'amqp-connection-manager';

/**
 * The ready messages of `queue` (waiting for a consumer; deliveries not yet acknowledged are not
 * counted), probed on a channel of its own so that a missing queue closes nothing else.
 * Undefined when the queue does not exist or there is no connection now.
 */
export async function readyMessages(
  connection: AmqpConnectionManager,
  queue: string,
): Promise<number | undefined> {
  const current = connection.connection;
  if (!current) return undefined;
  try {
    const probe = await current.createChannel();
    probe.on('error', () => undefined);
    try {
      return (await probe.checkQueue(queue)).messageCount;
    } finally {
      await probe.close().catch(() => undefined);
    }
  } catch {
    return undefined;
  }
}
