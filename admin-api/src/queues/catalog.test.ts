import { buildTopology } from '@sagaport/rabbitmq';
import { describe, expect, it } from 'vitest';
import { topologyQueues } from './catalog.js';

describe('topologyQueues', () => {
  const topology = buildTopology({ prefix: 'p.', retryTiers: [{ name: '1s', delayMs: 1000 }] });
  const byName = new Map(topologyQueues(topology).map((q) => [q.name, q]));

  it('lists every declared queue exactly once', () => {
    expect([...byName.keys()].sort()).toEqual(topology.declarations.queues.map((q) => q.name).sort());
  });

  it('gives each queue its role and declared type', () => {
    expect(byName.get('p.order.commands')).toEqual({
      name: 'p.order.commands',
      role: 'work',
      type: 'quorum',
    });
    expect(byName.get('p.inventory.order-events')?.role).toBe('work');
    expect(byName.get('p.orchestrator.replies')?.role).toBe('replies');
    expect(byName.get('p.payment.commands.dlq')?.role).toBe('dead-letter');
    expect(byName.get('p.orchestrator.replies.dlq')?.role).toBe('dead-letter');
    expect(byName.get('p.sagaport.retry.1s')?.role).toBe('retry');
    expect(byName.get('p.sagaport.events')).toEqual({
      name: 'p.sagaport.events',
      role: 'events',
      type: 'stream',
    });
  });

  it('recognises a queue bound to the retry exchange that is not a delay tier as the retry log', () => {
    const withLog = {
      ...topology,
      declarations: {
        ...topology.declarations,
        queues: [...topology.declarations.queues, { name: 'p.retry-copy', arguments: {} }],
        bindings: [
          ...topology.declarations.bindings,
          { exchange: topology.exchanges.retry, queue: 'p.retry-copy', routingKey: '#' },
        ],
      },
    };
    expect(topologyQueues(withLog).find((q) => q.name === 'p.retry-copy')).toEqual({
      name: 'p.retry-copy',
      role: 'retry-log',
      type: 'classic',
    });
  });
});
