// A simulated card payment provider: test tokens choose the answer, as a real provider's sandbox does.
import { randomUUID } from 'node:crypto';

/**
 * Payment tokens the simulated provider understands. Any other token is refused as
 * `invalid_token`.
 *
 * | token             | answer                                                       |
 * | ----------------- | ------------------------------------------------------------ |
 * | `tok_visa`        | charged                                                      |
 * | `tok_declined`    | 402 `card_declined`: the saga fails and compensates          |
 * | `tok_unavailable` | 503: transient, retried through the delay tiers, then DLQ    |
 * | `tok_slow`        | charged after PAYMENT_SLOW_MS (default 2000 ms)              |
 * | `tok_flaky`       | 503 on the first two charges of a key, then charged          |
 */
export const PaymentTestToken = {
  visa: 'tok_visa',
  declined: 'tok_declined',
  unavailable: 'tok_unavailable',
  slow: 'tok_slow',
  flaky: 'tok_flaky',
} as const;
export type PaymentTestToken = (typeof PaymentTestToken)[keyof typeof PaymentTestToken];

export interface ChargeRequest {
  /** The provider charges a key at most once and answers a repeat with the first charge. */
  readonly idempotencyKey: string;
  readonly token: string;
  readonly amountCents: number;
  readonly currency: string;
}

/** The provider's answer, shaped like its HTTP responses. */
export type ProviderResponse =
  | { readonly status: 201; readonly reference: string }
  | { readonly status: 400 | 402; readonly code: string; readonly message: string }
  | { readonly status: 503; readonly message: string };

/** What the payment worker needs from a card payment provider. */
export interface PaymentProvider {
  charge(request: ChargeRequest): Promise<ProviderResponse>;
  refund(request: {
    idempotencyKey: string;
    chargeReference: string;
    amountCents: number;
  }): Promise<ProviderResponse>;
}

const rememberedKeys = 100_000;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The provider of development and tests. Like a real one it is idempotent per key: a charge
 * repeated after our transaction rolled back (a crash between the provider's answer and our
 * commit) returns the first charge's reference instead of charging the card again.
 */
export class SimulatedPaymentProvider implements PaymentProvider {
  /** Recent idempotency keys and their references; the oldest are forgotten past a bound. */
  private readonly references = new Map<string, string>();
  /** Failed charges per key of `tok_flaky`. */
  private readonly flakyFailures = new Map<string, number>();

  constructor(private readonly options: { slowMs: number }) {}

  async charge(request: ChargeRequest): Promise<ProviderResponse> {
    switch (request.token) {
      case PaymentTestToken.declined:
        return { status: 402, code: 'card_declined', message: 'the card was declined' };
      case PaymentTestToken.unavailable:
        return { status: 503, message: 'payment provider unavailable' };
      case PaymentTestToken.slow:
        await sleep(this.options.slowMs);
        return this.succeed(request.idempotencyKey);
      case PaymentTestToken.visa:
        return this.succeed(request.idempotencyKey);
      case PaymentTestToken.flaky: {
        const failures = this.flakyFailures.get(request.idempotencyKey) ?? 0;
        if (failures >= 2) return this.succeed(request.idempotencyKey);
        this.flakyFailures.set(request.idempotencyKey, failures + 1);
        return { status: 503, message: `payment provider unavailable (flaky, failure ${failures + 1} of 2)` };
      }
      default:
        return { status: 400, code: 'invalid_token', message: 'the payment token is not valid' };
    }
  }

  async refund(request: { idempotencyKey: string }): Promise<ProviderResponse> {
    return this.succeed(`refund:${request.idempotencyKey}`);
  }

  private succeed(key: string): ProviderResponse {
    let reference = this.references.get(key);
    if (!reference) {
      reference = `sim_${randomUUID()}`;
      this.references.set(key, reference);
      if (this.references.size > rememberedKeys) {
        this.references.delete(this.references.keys().next().value!);
      }
    }
    return { status: 201, reference };
  }
}
