import { describe, expect, it } from 'vitest';
import { commandContracts, replyContracts } from './contracts/index.js';
import { toDefinitions } from './definitions.js';
import { buildTopology, routeOf } from './topology.js';

describe('buildTopology', () => {
  const topology = buildTopology({ prefix: 'p.' });
  const queues = new Map(topology.declarations.queues.map((q) => [q.name, q.arguments]));

  it('routes every command to its worker queue and every reply to the orchestrator', () => {
    for (const type of Object.keys(commandContracts)) {
      const worker = type.split('.')[0];
      const { exchange, routingKey } = routeOf(topology, type);
      expect(topology.declarations.bindings).toContainEqual({
        exchange,
        queue: `p.${worker}.commands`,
        routingKey,
      });
    }
    for (const type of Object.keys(replyContracts)) {
      const { exchange, routingKey } = routeOf(topology, type);
      expect(topology.declarations.bindings).toContainEqual({
        exchange,
        queue: 'p.orchestrator.replies',
        routingKey,
      });
    }
  });

  it('gives every work queue a delivery limit and an at-least-once DLQ', () => {
    for (const queue of [...Object.values(topology.queues.commands), topology.queues.replies]) {
      expect(queues.get(queue)).toMatchObject({
        'x-queue-type': 'quorum',
        'x-delivery-limit': 5,
        'x-dead-letter-strategy': 'at-least-once',
        'x-overflow': 'reject-publish',
        'x-dead-letter-routing-key': queue,
      });
      expect(queues.get(`${queue}.dlq`)).toMatchObject({ 'x-queue-type': 'quorum' });
      expect(topology.declarations.bindings).toContainEqual({
        exchange: 'p.sagaport.dead-letters',
        queue: `${queue}.dlq`,
        routingKey: queue,
      });
    }
  });

  it('sends expired retries back to the queue they came from', () => {
    expect(topology.declarations.bindings).toContainEqual({
      exchange: 'p.sagaport.retry.return',
      queue: 'p.payment.commands',
      routingKey: '*.p.payment.commands',
    });
    expect(queues.get('p.sagaport.retry.5s')).toMatchObject({
      'x-dead-letter-exchange': 'p.sagaport.retry.return',
    });
  });

  it('refuses a retry tier name that would break routing keys', () => {
    expect(() => buildTopology({ retryTiers: [{ name: '1.5s', delayMs: 1500 }] })).toThrow(/one word/);
  });

  it('renders definitions that reference only declared exchanges and queues', () => {
    const definitions = toDefinitions(buildTopology());
    const names = new Set([...definitions.exchanges, ...definitions.queues].map((x) => x.name));
    for (const binding of definitions.bindings) {
      expect(names.has(binding.source) && names.has(binding.destination)).toBe(true);
    }
  });
});
