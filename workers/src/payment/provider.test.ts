// Unit tests of the simulated provider's test tokens and how its answers are classified.
import { BusinessRefusal, TransientError } from '@sagaport/rabbitmq';
import { describe, expect, it } from 'vitest';
import { acceptedReference } from './charges.js';
import { PaymentTestToken, SimulatedPaymentProvider } from './provider.js';

const charge = (token: string, idempotencyKey = 'saga-1') => ({
  idempotencyKey,
  token,
  amountCents: 1_000,
  currency: 'EUR',
});

describe('simulated payment provider', () => {
  const provider = new SimulatedPaymentProvider({ slowMs: 30 });

  it('charges tok_visa, and answers a repeated idempotency key with the same charge', async () => {
    const first = await provider.charge(charge(PaymentTestToken.visa, 'saga-a'));
    const again = await provider.charge(charge(PaymentTestToken.visa, 'saga-a'));
    const other = await provider.charge(charge(PaymentTestToken.visa, 'saga-b'));
    expect(first.status).toBe(201);
    expect(again).toEqual(first);
    expect(other).not.toEqual(first);
  });

  it('declines tok_declined as a business refusal', async () => {
    const response = await provider.charge(charge(PaymentTestToken.declined));
    expect(() => acceptedReference(response)).toThrow(BusinessRefusal);
    expect(() => acceptedReference(response)).toThrow(expect.objectContaining({ code: 'card_declined' }));
  });

  it('answers 503 for tok_unavailable, which is transient (retried)', async () => {
    const response = await provider.charge(charge(PaymentTestToken.unavailable));
    expect(response.status).toBe(503);
    expect(() => acceptedReference(response)).toThrow(TransientError);
  });

  it('takes PAYMENT_SLOW_MS for tok_slow, then charges', async () => {
    const started = performance.now();
    const response = await provider.charge(charge(PaymentTestToken.slow, 'saga-slow'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(25);
    expect(response.status).toBe(201);
  });

  it('refuses any other token as invalid_token', async () => {
    const response = await provider.charge(charge('tok_mastercard'));
    expect(() => acceptedReference(response)).toThrow(expect.objectContaining({ code: 'invalid_token' }));
  });
});
