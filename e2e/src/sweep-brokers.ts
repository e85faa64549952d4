// Vitest global setup: kills the private RabbitMQ nodes an earlier test run left behind (see `sweepOrphanedBrokers`).
import { sweepOrphanedBrokers } from '@sagaport/rabbitmq/testing';

export async function setup(): Promise<void> {
  const swept = await sweepOrphanedBrokers();
  if (swept > 0)
    console.warn(`killed ${swept} private RabbitMQ node(s) left running by a test run that died`);
}
