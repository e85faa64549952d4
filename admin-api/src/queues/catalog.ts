// The queues the console shows: every queue the topology declares, with its role.
import type { Topology } from '@sagaport/rabbitmq';

export const QueueRole = {
  work: 'work',
  replies: 'replies',
  deadLetter: 'dead-letter',
  retry: 'retry',
  events: 'events',
  retryLog: 'retry-log',
} as const;
export type QueueRole = (typeof QueueRole)[keyof typeof QueueRole];

export interface TopologyQueue {
  readonly name: string;
  readonly role: QueueRole;
  /** As declared (`x-queue-type`): quorum, stream or classic. */
  readonly type: string;
}

/** Names the role of every queue `topology.queues` names. */
function namedRoles(topology: Topology): Map<string, QueueRole> {
  const { queues } = topology;
  return new Map<string, QueueRole>([
    ...Object.values(queues.commands).map((name) => [name, QueueRole.work] as const),
    [queues.inventoryOrderEvents, QueueRole.work],
    [queues.replies, QueueRole.replies],
    ...Object.values(queues.deadLetters).map((name) => [name, QueueRole.deadLetter] as const),
    ...Object.values(queues.retry).map((name) => [name, QueueRole.retry] as const),
    [queues.events, QueueRole.events],
  ]);
}

/**
 * Every declared queue in declaration order. A queue bound to the retry exchange that is not a
 * delay tier keeps a copy of each scheduled retry: the retry log. Any other queue is work.
 */
export function topologyQueues(topology: Topology): TopologyQueue[] {
  const roles = namedRoles(topology);
  const retryLogs = new Set(
    topology.declarations.bindings
      .filter((b) => b.exchange === topology.exchanges.retry && roles.get(b.queue) !== QueueRole.retry)
      .map((b) => b.queue),
  );
  return topology.declarations.queues.map((q) => {
    const declaredType = q.arguments['x-queue-type'];
    return {
      name: q.name,
      role: roles.get(q.name) ?? (retryLogs.has(q.name) ? QueueRole.retryLog : QueueRole.work),
      type: typeof declaredType === 'string' ? declaredType : 'classic',
    };
  });
}
