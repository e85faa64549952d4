// GET /queues: depth, consumers and rates of every Sagaport queue, from the RabbitMQ management API.
import { createRoute, z } from '@hono/zod-openapi';
import { requestLogFields } from '@sagaport/runtime';
import type { AdminDeps } from '../env.js';
import { adminRouter, problems } from '../openapi.js';
import { type TopologyQueue, topologyQueues } from './catalog.js';
import { type BrokerQueue, fetchBrokerQueues, ManagementUnavailable } from './management.js';

/** The management API gets this long before the console is told it is unavailable. */
export const MANAGEMENT_TIMEOUT_MS = 2_000;
/** Sagaport declares its topology in the default vhost. */
const VHOST = '/';

const count = z.number().int().nullable();
const perSecond = z.number().nullable();

export const QueueSchema = z
  .object({
    name: z.string(),
    role: z.enum(['work', 'replies', 'dead-letter', 'retry', 'events', 'retry-log']),
    type: z.string().openapi({ description: 'quorum, stream or classic' }),
    messages: count,
    ready: count,
    unacked: count,
    consumers: count,
    publishRate: perSecond.openapi({ description: 'Messages per second' }),
    deliverRate: perSecond,
    ackRate: perSecond,
  })
  .openapi('Queue', {
    description:
      'Numbers are null when the broker could not be asked, lacks the queue, or has not collected its statistics yet (a few seconds after it is declared)',
  });
export type Queue = z.infer<typeof QueueSchema>;

export const QueueListSchema = z
  .object({
    available: z.boolean(),
    error: z.string().optional().openapi({ description: 'Why the numbers are missing, and what to check' }),
    items: z.array(QueueSchema),
  })
  .openapi('QueueList');

const unknownNumbers = {
  messages: null,
  ready: null,
  unacked: null,
  consumers: null,
  publishRate: null,
  deliverRate: null,
  ackRate: null,
};

/** A topology queue with the broker's numbers for it (null when the broker does not have it). */
export function toQueue(declared: TopologyQueue, live: BrokerQueue | undefined): Queue {
  if (!live) return { ...declared, ...unknownNumbers };
  const stats = live.message_stats;
  return {
    ...declared,
    type: live.type ?? declared.type,
    messages: live.messages ?? null,
    ready: live.messages_ready ?? null,
    unacked: live.messages_unacknowledged ?? null,
    consumers: live.consumers ?? null,
    publishRate: stats?.publish_details?.rate ?? 0,
    deliverRate: stats?.deliver_get_details?.rate ?? 0,
    ackRate: stats?.ack_details?.rate ?? 0,
  };
}

const listRoute = createRoute({
  method: 'get',
  path: '/queues',
  tags: ['queues'],
  summary: 'Every Sagaport queue with its depth, consumers and rates',
  responses: {
    200: {
      description: 'The queues; `available: false` with `error` when the management API cannot be reached',
      content: { 'application/json': { schema: QueueListSchema } },
    },
    ...problems(401),
  },
});

/** GET /queues. */
export function queueRoutes(deps: AdminDeps) {
  // Read on the first request: building the router must not touch deps (the OpenAPI CLI passes none).
  let catalog: TopologyQueue[] | undefined;
  return adminRouter().openapi(listRoute, async (c) => {
    const declared = (catalog ??= topologyQueues(deps.topology));
    try {
      const live = await fetchBrokerQueues(deps.settings.managementUrl, VHOST, MANAGEMENT_TIMEOUT_MS);
      return c.json({ available: true, items: declared.map((q) => toQueue(q, live.get(q.name))) }, 200);
    } catch (error) {
      if (!(error instanceof ManagementUnavailable)) throw error;
      deps.logger.warn({ err: error, ...requestLogFields(c) }, 'RabbitMQ management API unavailable');
      return c.json(
        { available: false, error: error.message, items: declared.map((q) => toQueue(q, undefined)) },
        200,
      );
    }
  });
}
