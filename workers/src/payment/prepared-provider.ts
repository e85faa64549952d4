// The payment provider called before a batch's transaction: inside it, the handlers read answers already received.
import type { PaymentCharge, PaymentReimburse } from '@sagaport/rabbitmq';
import type postgres from 'postgres';
import type { CommandDelivery } from '../runtime/messages.js';
import { readCharges } from './charges.js';
import type { ChargeRequest, PaymentProvider, ProviderResponse } from './provider.js';

/**
 * The provider calls of a batch, made before its transaction and outside it ({@link prepare}),
 * so no transaction waits for the provider: a slow provider holds no connection and no row lock
 * of ours, and the payment worker's batches can share the workers' rounds. The handlers call
 * `charge` and `refund` as they would call the provider: a call prepared for the batch gets the
 * answer already received, any other goes to the provider. The provider is idempotent per key
 * (the saga id), so a prepared call whose command turns out to be a redelivery, answered from the
 * inbox, is a repeat that moves no money; one for a saga already charged (or refunded) is not
 * made at all.
 */
export class PreparedPaymentProvider implements PaymentProvider {
  /** Answers received for the batches under way, by operation and idempotency key. */
  private readonly answers = new Map<string, Promise<ProviderResponse>>();

  constructor(
    private readonly provider: PaymentProvider,
    private readonly sql: postgres.Sql,
  ) {}

  /**
   * Asks the provider, side by side, for what `commands` will ask of it: a charge for a saga not
   * charged yet, a refund of a charge not refunded yet (the charges read in one statement).
   * Resolves once every answer is in (a failed call is kept as the answer its handler will
   * get); returns what forgets these answers once the batch is done.
   */
  async prepare(commands: readonly CommandDelivery[]): Promise<() => void> {
    const charges: ChargeRequest[] = [];
    const refundKeys: string[] = [];
    for (const command of commands) {
      const sagaId = command.correlationId;
      if (command.type === 'payment.charge' && sagaId) {
        const payload = command.payload as PaymentCharge;
        charges.push({
          idempotencyKey: sagaId,
          token: payload.paymentToken,
          amountCents: payload.amountCents,
          currency: payload.currency,
        });
      } else if (command.type === 'payment.refund' && sagaId) {
        refundKeys.push(sagaId);
      } else if (command.type === 'payment.reimburse') {
        // The cancellation of an order refunds its checkout's charge, under that checkout's key.
        refundKeys.push((command.payload as PaymentReimburse).checkoutSagaId);
      }
    }
    const keys = [...new Set([...charges.map((c) => c.idempotencyKey), ...refundKeys])];
    if (keys.length === 0) return () => {};
    const charged = new Map((await readCharges(this.sql, keys)).map((row) => [row.sagaId, row]));
    const prepared: string[] = [];
    const ask = (key: string, call: () => Promise<ProviderResponse>) => {
      if (this.answers.has(key)) return;
      this.answers.set(key, call());
      prepared.push(key);
    };
    for (const request of charges) {
      if (!charged.has(request.idempotencyKey))
        ask(`charge:${request.idempotencyKey}`, () => this.provider.charge(request));
    }
    for (const key of refundKeys) {
      const charge = charged.get(key);
      if (charge && !charge.refunded) {
        const request = {
          idempotencyKey: key,
          chargeReference: charge.reference,
          amountCents: charge.amountCents,
        };
        ask(`refund:${key}`, () => this.provider.refund(request));
      }
    }
    await Promise.allSettled(prepared.map((key) => this.answers.get(key)!));
    return () => {
      for (const key of prepared) this.answers.delete(key);
    };
  }

  charge(request: ChargeRequest): Promise<ProviderResponse> {
    return this.answers.get(`charge:${request.idempotencyKey}`) ?? this.provider.charge(request);
  }

  refund(request: {
    idempotencyKey: string;
    chargeReference: string;
    amountCents: number;
  }): Promise<ProviderResponse> {
    return this.answers.get(`refund:${request.idempotencyKey}`) ?? this.provider.refund(request);
  }
}
