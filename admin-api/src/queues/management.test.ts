import { describe, expect, it } from 'vitest';
import { splitCredentials } from './management.js';
import { toQueue } from './routes.js';

describe('splitCredentials', () => {
  it('moves the user info of the URL into a Basic header, decoding it', () => {
    expect(splitCredentials('http://ops:p%40ss@rabbit:15672/')).toEqual({
      base: 'http://rabbit:15672',
      authorization: `Basic ${Buffer.from('ops:p@ss').toString('base64')}`,
    });
  });

  it('keeps a path prefix and sends no header without credentials', () => {
    expect(splitCredentials('https://rabbit.internal/management')).toEqual({
      base: 'https://rabbit.internal/management',
    });
  });
});

describe('toQueue', () => {
  const declared = { name: 'q', role: 'work', type: 'quorum' } as const;

  it('maps the broker numbers, rates 0 when the broker has no message stats yet', () => {
    expect(
      toQueue(declared, {
        name: 'q',
        type: 'quorum',
        messages: 3,
        messages_ready: 2,
        messages_unacknowledged: 1,
        consumers: 4,
        message_stats: { publish_details: { rate: 1.5 } },
      }),
    ).toEqual({
      ...declared,
      messages: 3,
      ready: 2,
      unacked: 1,
      consumers: 4,
      publishRate: 1.5,
      deliverRate: 0,
      ackRate: 0,
    });
  });

  it('has null numbers for a queue the broker does not have', () => {
    expect(toQueue(declared, undefined)).toEqual({
      ...declared,
      messages: null,
      ready: null,
      unacked: null,
      consumers: null,
      publishRate: null,
      deliverRate: null,
      ackRate: null,
    });
  });
});
