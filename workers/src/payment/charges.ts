// The payment worker's domain: at most one charge per saga, and at most one refund of it.
import { randomUUID } from 'node:crypto';
import { charges, refunds, type DbExecutor } from '@sagaport/db';
import { BusinessRefusal, TransientError } from '@sagaport/rabbitmq';
import { eq } from 'drizzle-orm';
import type { PaymentProvider, ProviderResponse } from './provider.js';

export interface ChargeRequest {
  readonly sagaId: string;
  readonly orderId: string;
  readonly amountCents: number;
  readonly currency: string;
  readonly paymentToken: string;
}

/** The provider's reference of an accepted request; a refusal is a BusinessRefusal, a 5xx is transient. */
export function acceptedReference(response: ProviderResponse): string {
  switch (response.status) {
    case 201:
      return response.reference;
    case 400:
    case 402:
      throw new BusinessRefusal(response.code, response.message);
    case 503:
      throw new TransientError(`payment provider answered 503: ${response.message}`);
  }
}

/**
 * Charges the saga's card once. `charges.saga_id` is unique: a saga that has a charge gets it
 * back without the provider being asked again, and the provider is called with the saga id as
 * its idempotency key, so even a charge whose transaction rolled back is not paid twice.
 */
export async function chargeSaga(
  tx: DbExecutor,
  provider: PaymentProvider,
  request: ChargeRequest,
): Promise<{ chargeId: string; amountCents: number }> {
  const existing = await findCharge(tx, request.sagaId);
  if (existing) return { chargeId: existing.id, amountCents: existing.amountCents };
  const reference = acceptedReference(
    await provider.charge({
      idempotencyKey: request.sagaId,
      token: request.paymentToken,
      amountCents: request.amountCents,
      currency: request.currency,
    }),
  );
  const [created] = await tx
    .insert(charges)
    .values({
      id: randomUUID(),
      sagaId: request.sagaId,
      orderId: request.orderId,
      amountCents: request.amountCents,
      currency: request.currency,
      providerReference: reference,
    })
    .onConflictDoNothing({ target: charges.sagaId })
    .returning();
  // Lost a race with a concurrent charge of the same saga: the provider gave both the same reference.
  const charge = created ?? (await findCharge(tx, request.sagaId))!;
  return { chargeId: charge.id, amountCents: charge.amountCents };
}

/**
 * Refunds the saga's charge once (its full amount). No charge means nothing to refund:
 * `refundId: null, amountCents: 0`. A refunded saga gets its existing refund back.
 */
export async function refundSaga(
  tx: DbExecutor,
  provider: PaymentProvider,
  sagaId: string,
): Promise<{ refundId: string | null; amountCents: number }> {
  const charge = await findCharge(tx, sagaId);
  if (!charge) return { refundId: null, amountCents: 0 };
  const existing = await findRefund(tx, sagaId);
  if (existing) return { refundId: existing.id, amountCents: existing.amountCents };
  acceptedReference(
    await provider.refund({
      idempotencyKey: sagaId,
      chargeReference: charge.providerReference,
      amountCents: charge.amountCents,
    }),
  );
  const [created] = await tx
    .insert(refunds)
    .values({ id: randomUUID(), sagaId, chargeId: charge.id, amountCents: charge.amountCents })
    .onConflictDoNothing({ target: refunds.sagaId })
    .returning();
  const refund = created ?? (await findRefund(tx, sagaId))!;
  return { refundId: refund.id, amountCents: refund.amountCents };
}

async function findCharge(tx: DbExecutor, sagaId: string) {
  const [charge] = await tx.select().from(charges).where(eq(charges.sagaId, sagaId));
  return charge;
}

async function findRefund(tx: DbExecutor, sagaId: string) {
  const [refund] = await tx.select().from(refunds).where(eq(refunds.sagaId, sagaId));
  return refund;
}
