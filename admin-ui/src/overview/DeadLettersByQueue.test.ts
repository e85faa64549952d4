import { describe, expect, it } from 'vitest';
import type { Queue } from '../api/types.js';
import { deadLetterGroup } from '../test/fixtures.js';
import { deadLettersByQueue } from './DeadLettersByQueue.js';

const dlq = (name: string, messages: number): Queue => ({
  name,
  role: 'dead-letter',
  type: 'quorum',
  messages,
  ready: messages,
  unacked: 0,
  consumers: 1,
  publishRate: 0,
  deliverRate: 0,
  ackRate: 0,
});

describe('open dead letters per queue', () => {
  it('adds up the groups of each queue, largest first, with what still waits in the broker DLQ', () => {
    const rows = deadLettersByQueue(
      [
        deadLetterGroup({ originalQueue: 'order.commands', openCount: 2 }),
        deadLetterGroup({ originalQueue: 'payment.commands', openCount: 5, fingerprint: 'b' }),
        deadLetterGroup({ originalQueue: 'order.commands', openCount: 1, fingerprint: 'c' }),
      ],
      [dlq('order.commands.dlq', 0), dlq('payment.commands.dlq', 1), dlq('shipping.commands.dlq', 4)],
    );
    expect(rows).toEqual([
      { queue: 'payment.commands', open: 5, groups: 1, waiting: 1 },
      { queue: 'order.commands', open: 3, groups: 2, waiting: 0 },
      { queue: 'shipping.commands', open: 0, groups: 0, waiting: 4 },
    ]);
  });
});
