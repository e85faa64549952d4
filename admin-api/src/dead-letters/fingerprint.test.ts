import { describe, expect, it } from 'vitest';
import { fingerprintOf, maskMessage } from './fingerprint.js';

describe('maskMessage', () => {
  it('masks what varies per message and keeps the words that name the cause', () => {
    expect(maskMessage('no saga 0b9a4f1e-7c55-4f0e-9a51-8f4b2c1d3e5f')).toBe('no saga <uuid>');
    expect(maskMessage('card ch_8f3a91 declined for ada@example.com after 3 tries')).toBe(
      'card <n> declined for <email> after <n> tries',
    );
    expect(maskMessage('payload.items.0.quantity: Too small: expected number to be >=1')).toBe(
      'payload.items.<n>.quantity: Too small: expected number to be >=<n>',
    );
  });
});

describe('fingerprintOf', () => {
  const base = {
    originalQueue: 'payment.commands',
    messageType: 'payment.charge',
    errorClass: 'transient',
    errorMessage: 'provider answered 503 for charge 1f2e3d4c-0000-4000-8000-000000000001',
  };

  it('gives failures that differ only in ids and numbers the same fingerprint', () => {
    const other = {
      ...base,
      errorMessage: 'provider answered 502 for charge 9a8b7c6d-0000-4000-8000-000000000002',
    };
    expect(fingerprintOf(other).fingerprint).toBe(fingerprintOf(base).fingerprint);
    expect(fingerprintOf(base).text).toBe('provider answered <n> for charge <uuid>');
  });

  it('separates failures of another queue, type, class or cause', () => {
    const fp = fingerprintOf(base).fingerprint;
    for (const change of [
      { originalQueue: 'order.commands' },
      { messageType: 'payment.refund' },
      { errorClass: 'permanent' },
      { errorMessage: 'provider rejected the token' },
    ]) {
      expect(fingerprintOf({ ...base, ...change }).fingerprint).not.toBe(fp);
    }
  });
});
