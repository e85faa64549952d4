// The bare amqplib loop the wire benchmark is compared with: same queue type, size and confirm window.
import { randomUUID } from 'node:crypto';
import amqplib from 'amqplib';

/** Publishes `total` messages with confirms on a raw channel and consumes them; returns msg/s. */
export async function bareAmqplibRate(
  url: string,
  total: number,
  window: number,
  size: number,
): Promise<number> {
  const connection = await amqplib.connect(url);
  const queue = `bench-baseline-${randomUUID()}`;
  const admin = await connection.createChannel();
  await admin.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
  const consumeChannel = await connection.createChannel();
  await consumeChannel.prefetch(window);
  let consumed = 0;
  let lastAt = 0;
  let resolveDone!: () => void;
  const done = new Promise<void>((r) => (resolveDone = r));
  await consumeChannel.consume(queue, (msg) => {
    if (!msg) return;
    JSON.parse(msg.content.toString());
    consumeChannel.ack(msg);
    consumed += 1;
    lastAt = performance.now();
    if (consumed === total) resolveDone();
  });
  const publishChannel = await connection.createConfirmChannel();
  const body = Buffer.from(JSON.stringify({ pad: 'x'.repeat(size - 12) }));
  const started = performance.now();
  let next = 0;
  const lane = async () => {
    while (next < total) {
      next += 1;
      await new Promise<void>((resolve, reject) =>
        publishChannel.publish('', queue, body, { persistent: true, messageId: randomUUID() }, (err) =>
          err ? reject(err as Error) : resolve(),
        ),
      );
    }
  };
  await Promise.all(Array.from({ length: window }, lane));
  await done;
  await admin.deleteQueue(queue);
  await connection.close();
  return Math.round(total / ((lastAt - started) / 1000));
}
