import { describe, expect, it } from 'vitest';
import {
  BusinessRefusal,
  classifyError,
  ContractViolationError,
  FailureClass,
  PermanentError,
  TransientError,
} from './errors.js';
import { PublishError } from './publisher.js';

describe('classifyError', () => {
  it('honours the explicit classes', () => {
    expect(classifyError(new BusinessRefusal('out_of_stock', 'no stock'))).toBe('business');
    expect(classifyError(new TransientError('later'))).toBe('transient');
    expect(classifyError(new PermanentError('never'))).toBe('permanent');
    expect(classifyError(new ContractViolationError('bad', ['payload.x: required']))).toBe('permanent');
  });

  it('treats network and retryable PostgreSQL errors as transient', () => {
    for (const code of ['ECONNREFUSED', 'ECONNRESET', '40001', '40P01', '57P01', '08006']) {
      expect(classifyError(Object.assign(new Error(code), { code }))).toBe('transient');
    }
  });

  it('finds the code in a wrapped cause (drizzle wraps driver errors)', () => {
    const driver = Object.assign(new Error('connection closed'), { code: 'CONNECTION_CLOSED' });
    expect(classifyError(new Error('Failed query: select 1', { cause: driver }))).toBe('transient');
  });

  it('treats a publish the broker could not take now (connection lost, timeout, nack, no queue bound) as transient, a too-large one as permanent', () => {
    expect(classifyError(new PublishError('timeout', 'not connected to the broker within 10000 ms'))).toBe(
      FailureClass.transient,
    );
    expect(classifyError(new PublishError('connection-lost', 'connection closed'))).toBe(
      FailureClass.transient,
    );
    expect(classifyError(new PublishError('nacked', 'nacked by the broker'))).toBe(FailureClass.transient);
    expect(
      classifyError(new Error('reply not sent', { cause: new PublishError('timeout', 'no confirm') })),
    ).toBe(FailureClass.transient);
    expect(classifyError(new PublishError('unroutable', 'no queue bound'))).toBe(FailureClass.transient);
    expect(classifyError(new PublishError('too-large', 'over 4 MiB'))).toBe(FailureClass.permanent);
  });

  it('treats anything else, such as a bug, as permanent', () => {
    expect(classifyError(new TypeError('x is undefined'))).toBe('permanent');
    expect(classifyError(Object.assign(new Error('unique'), { code: '23505' }))).toBe('permanent');
    expect(classifyError('a string')).toBe('permanent');
  });
});
