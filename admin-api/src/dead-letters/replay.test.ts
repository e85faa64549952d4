// Unit tests of the replay's contract check: what it refuses, and the field it names.
import { MESSAGE_BATCH_TYPE } from '@sagaport/rabbitmq';
import { describe, expect, it } from 'vitest';
import { contractErrors } from './replay.js';

describe('the replay contract check', () => {
  it('names the field of a body that breaks its contract', () => {
    const errors = contractErrors('order.confirm', { orderId: 'not-a-uuid' });
    expect(errors.map((e) => e.field)).toEqual(['body.orderId']);
  });

  it('refuses a batch dead-lettered whole, saying why', () => {
    const errors = contractErrors(MESSAGE_BATCH_TYPE, { messages: [] });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ field: 'type' });
    expect(errors[0]!.message).toMatch(/batch of messages .* is not replayed as one/);
  });

  it('refuses a type no contract knows', () => {
    expect(contractErrors('no.such.type', {})).toEqual([
      { field: 'type', message: 'no contract knows message type "no.such.type"' },
    ]);
  });
});
