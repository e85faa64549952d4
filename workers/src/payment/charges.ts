// The payment worker's domain: at most one charge per saga, and at most one refund of it.
import { randomUUID } from 'node:crypto';
import { BusinessRefusal, TransientError } from '@sagaport/rabbitmq';
import type postgres from 'postgres';
import type { WorkerSql } from '../runtime/sql.js';
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
 * its idempotency key, so even a charge whose transaction rolled back is not paid twice. A
 * refusal comes from the provider, before anything is written.
 */
export async function chargeSaga(
  sql: WorkerSql,
  provider: PaymentProvider,
  request: ChargeRequest,
): Promise<{ chargeId: string; amountCents: number }> {
  const [existing] = await sql<Charge[]>`
    select id as "chargeId", amount_cents as "amountCents" from payments.charges where saga_id = ${request.sagaId}`;
  if (existing) return existing;
  const reference = acceptedReference(
    await provider.charge({
      idempotencyKey: request.sagaId,
      token: request.paymentToken,
      amountCents: request.amountCents,
      currency: request.currency,
    }),
  );
  // A concurrent charge of the same saga may win the insert: the provider gave both the same reference.
  const [charge] = await sql<Charge[]>`
    with created as (
      insert into payments.charges (id, saga_id, order_id, amount_cents, currency, provider_reference)
      values (${randomUUID()}, ${request.sagaId}, ${request.orderId}, ${request.amountCents},
        ${request.currency}, ${reference})
      on conflict (saga_id) do nothing
      returning id, amount_cents)
    select id as "chargeId", amount_cents as "amountCents" from created
    union all
    select id, amount_cents from payments.charges where saga_id = ${request.sagaId}
    limit 1`;
  // Not found: the concurrent charge committed after this statement's snapshot; the retry sees it.
  if (!charge) throw new TransientError(`saga ${request.sagaId} was charged concurrently; retrying`);
  return charge;
}

interface Charge {
  chargeId: string;
  amountCents: number;
}

/** A saga's charge as the provider knows it, and whether it was refunded. */
export interface ChargeState {
  readonly sagaId: string;
  readonly reference: string;
  readonly amountCents: number;
  readonly refunded: boolean;
}

/** The charges of `sagaIds` (those that have one), each with whether it was refunded, in one statement. */
export async function readCharges(sql: postgres.Sql, sagaIds: readonly string[]): Promise<ChargeState[]> {
  return sql<ChargeState[]>`
    select c.saga_id as "sagaId", c.provider_reference as reference, c.amount_cents as "amountCents",
      exists (select 1 from payments.refunds r where r.saga_id = c.saga_id) as refunded
    from payments.charges c where c.saga_id = any(${[...sagaIds]}::uuid[])`;
}

/**
 * Refunds the saga's charge once (its full amount). No charge means nothing to refund:
 * `refundId: null, amountCents: 0`. A refunded saga gets its existing refund back.
 */
export async function refundSaga(
  sql: WorkerSql,
  provider: PaymentProvider,
  sagaId: string,
): Promise<{ refundId: string | null; amountCents: number }> {
  const [found] = await sql<
    {
      chargeId: string;
      reference: string;
      amountCents: number;
      refundId: string | null;
      refunded: number | null;
    }[]
  >`
    select c.id as "chargeId", c.provider_reference as reference, c.amount_cents as "amountCents",
      r.id as "refundId", r.amount_cents as refunded
    from payments.charges c left join payments.refunds r on r.saga_id = c.saga_id
    where c.saga_id = ${sagaId}`;
  if (!found) return { refundId: null, amountCents: 0 };
  if (found.refundId) return { refundId: found.refundId, amountCents: found.refunded ?? 0 };
  acceptedReference(
    await provider.refund({
      idempotencyKey: sagaId,
      chargeReference: found.reference,
      amountCents: found.amountCents,
    }),
  );
  const [refund] = await sql<{ id: string; amountCents: number }[]>`
    with created as (
      insert into payments.refunds (id, saga_id, charge_id, amount_cents)
      values (${randomUUID()}, ${sagaId}, ${found.chargeId}, ${found.amountCents})
      on conflict (saga_id) do nothing
      returning id, amount_cents)
    select id, amount_cents as "amountCents" from created
    union all
    select id, amount_cents from payments.refunds where saga_id = ${sagaId}
    limit 1`;
  if (!refund) throw new TransientError(`saga ${sagaId} was refunded concurrently; retrying`);
  return { refundId: refund.id, amountCents: refund.amountCents };
}

/**
 * Refunds an order's charge in full, once (the order-cancellation saga): the charge of the
 * checkout `checkoutSagaId`, under the same provider idempotency key as that checkout's own
 * refund would use, so the card is never refunded twice. An order never charged is refused
 * (`not_charged`) before anything is written.
 */
export async function refundOrder(
  sql: WorkerSql,
  provider: PaymentProvider,
  request: { readonly orderId: string; readonly checkoutSagaId: string },
): Promise<{ refundId: string; amountCents: number }> {
  const refund = await refundSaga(sql, provider, request.checkoutSagaId);
  if (refund.refundId === null) {
    throw new BusinessRefusal('not_charged', `order ${request.orderId} was never charged: nothing to refund`);
  }
  return { refundId: refund.refundId, amountCents: refund.amountCents };
}
