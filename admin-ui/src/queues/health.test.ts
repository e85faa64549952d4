import { describe, expect, it } from 'vitest';
import type { Queue } from '../api/types.js';
import { BACKLOG_THRESHOLD, queueHealth, sortQueues } from './health.js';

const queue = (overrides: Partial<Queue>): Queue => ({
  name: 'order.commands',
  role: 'work',
  type: 'quorum',
  messages: 0,
  ready: 0,
  unacked: 0,
  consumers: 1,
  publishRate: 0,
  deliverRate: 0,
  ackRate: 0,
  ...overrides,
});

describe('queue health', () => {
  it('flags a work queue without consumers and a DLQ without the archiver', () => {
    expect(queueHealth(queue({ consumers: 0 }))).toEqual({ tone: 'danger', label: 'no consumer' });
    expect(queueHealth(queue({ role: 'dead-letter', consumers: 0 }))).toEqual({
      tone: 'danger',
      label: 'archiver down',
    });
  });

  it('warns about a backlog and about dead letters not archived yet', () => {
    expect(queueHealth(queue({ ready: BACKLOG_THRESHOLD + 1 })).label).toBe('backlog');
    expect(queueHealth(queue({ role: 'dead-letter', messages: 3 })).label).toBe('archiving');
  });

  it('does not expect consumers on retry and event queues', () => {
    expect(queueHealth(queue({ role: 'retry', consumers: 0, ready: 5 })).tone).toBe('success');
  });

  it('lists problems first', () => {
    const sorted = sortQueues([
      queue({ name: 'a' }),
      queue({ name: 'b', consumers: 0 }),
      queue({ name: 'c', role: 'retry' }),
    ]);
    expect(sorted.map((q) => q.name)).toEqual(['b', 'a', 'c']);
  });
});
