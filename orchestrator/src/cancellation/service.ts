// Starts order cancellations idempotently: the logic behind POST /orders/{orderId}/cancellation.
import { createHash, randomUUID } from 'node:crypto';
import type postgres from 'postgres';
import { type CheckoutService, MAX_DISPATCH_WAIT_MS, settledWithin } from '../checkout/service.js';
import { cancellationSaga, type CancellationData } from '../saga/cancellation-saga.js';
import { checkoutSaga } from '../saga/checkout-saga.js';
import type { SagaEngine } from '../saga/engine.js';
import { SagaStatus } from '../saga/types.js';

/** The reason a cancellation carries when the request names none. */
export const DEFAULT_CANCELLATION_REASON = 'cancelled at the customer’s request';

/** Why a cancellation cannot start now; the API answers each with a 404 or 409 problem. */
export type CancellationRefusal =
  | { readonly kind: 'no-order' }
  | {
      readonly kind: 'checkout-running';
      readonly sagaId: string;
      readonly status: string;
      readonly step: string | null;
    }
  | { readonly kind: 'not-confirmed'; readonly sagaId: string; readonly status: string }
  | { readonly kind: 'cancelled'; readonly sagaId: string }
  | { readonly kind: 'cancelling'; readonly sagaId: string; readonly step: string | null };

export type CancellationResult =
  | { readonly kind: 'started' | 'replayed'; readonly sagaId: string }
  | { readonly kind: 'key-reused'; readonly sagaId: string }
  | { readonly kind: 'refused'; readonly refusal: CancellationRefusal };

interface OrderSagaRow {
  id: string;
  saga_type: string;
  status: string;
  current_step: string | null;
  customer_id: string | null;
  email: string | null;
  currency: string | null;
  total_cents: number | null;
}

/** The checkout that placed `orderId` and its cancellations, oldest first, from the business-key index. */
async function sagasOfOrder(sql: postgres.Sql, orderId: string): Promise<OrderSagaRow[]> {
  const key = JSON.stringify({ orderid: orderId.toLowerCase() });
  return sql<OrderSagaRow[]>`
    select id, saga_type, status, current_step,
      state #>> '{data,customerId}' as customer_id, state #>> '{data,email}' as email,
      state #>> '{data,currency}' as currency, (state #>> '{data,totalCents}')::int as total_cents
    from saga.instances
    where (lower(business_keys::text)::jsonb) @> ${key}::jsonb
      and saga_type in (${checkoutSaga.name}, ${cancellationSaga.name})
    order by created_at, id`;
}

/**
 * Decides whether `orderId` may be cancelled now: its checkout must have completed (the order is
 * confirmed) and no other cancellation may have completed or be running. Two requests that pass
 * this check at the same moment both start a saga; the shipping worker lets only the first
 * withdraw the shipment, and the other saga ends `rejected` with the reason.
 */
export function refusalFor(rows: readonly OrderSagaRow[]): CancellationRefusal | undefined {
  const checkout = rows.find((r) => r.saga_type === checkoutSaga.name);
  if (!checkout) return { kind: 'no-order' };
  if (checkout.status === SagaStatus.running || checkout.status === SagaStatus.compensating) {
    return {
      kind: 'checkout-running',
      sagaId: checkout.id,
      status: checkout.status,
      step: checkout.current_step,
    };
  }
  if (checkout.status !== SagaStatus.completed) {
    return { kind: 'not-confirmed', sagaId: checkout.id, status: checkout.status };
  }
  const cancellations = rows.filter((r) => r.saga_type === cancellationSaga.name);
  const done = cancellations.find((r) => r.status === SagaStatus.completed);
  if (done) return { kind: 'cancelled', sagaId: done.id };
  const active = cancellations.find(
    (r) =>
      r.status === SagaStatus.running ||
      r.status === SagaStatus.compensating ||
      r.status === SagaStatus.failed,
  );
  if (active) return { kind: 'cancelling', sagaId: active.id, step: active.current_step };
  return undefined;
}

export class CancellationService {
  constructor(
    /** The postgres.js client: the order's sagas are read with one prepared statement. */
    private readonly sql: postgres.Sql,
    private readonly engine: SagaEngine,
    /** Reads idempotency keys and saga status (shared with checkouts). */
    private readonly checkouts: CheckoutService,
  ) {}

  /**
   * Starts the cancellation of `orderId`, or returns the saga an earlier request with the same
   * key started (whatever happened to the order since). The key, its body hash and the saga's
   * first transition commit together.
   */
  async start(
    idempotencyKey: string,
    orderId: string,
    reason: string | undefined,
    onCommitted?: (sagaId: string) => void,
  ): Promise<CancellationResult> {
    const requestHash = createHash('sha256')
      .update(JSON.stringify({ cancel: orderId, reason: reason ?? null }))
      .digest('hex');
    const earlier = await this.checkouts.findByKey(idempotencyKey);
    if (earlier) return this.answerKey(earlier, requestHash);
    const rows = await sagasOfOrder(this.sql, orderId);
    const refusal = refusalFor(rows);
    if (refusal) return { kind: 'refused', refusal };
    const checkout = rows.find((r) => r.saga_type === checkoutSaga.name)!;
    const data: CancellationData = {
      orderId,
      checkoutSagaId: checkout.id,
      customerId: checkout.customer_id ?? '',
      email: checkout.email ?? '',
      currency: checkout.currency ?? '',
      totalCents: checkout.total_cents ?? 0,
      reason: reason ?? DEFAULT_CANCELLATION_REASON,
    };
    const sagaId = randomUUID();
    const written = await this.engine.start(cancellationSaga.name, {
      idempotencyKey,
      requestHash,
      sagaId,
      data,
    });
    if (written) {
      onCommitted?.(sagaId);
      await settledWithin(this.engine.dispatch(written), MAX_DISPATCH_WAIT_MS);
      return { kind: 'started', sagaId };
    }
    return this.answerKey((await this.checkouts.findByKey(idempotencyKey))!, requestHash);
  }

  private answerKey(
    earlier: { requestHash: string; sagaId: string },
    requestHash: string,
  ): CancellationResult {
    return earlier.requestHash === requestHash
      ? { kind: 'replayed', sagaId: earlier.sagaId }
      : { kind: 'key-reused', sagaId: earlier.sagaId };
  }

  /** The newest cancellation saga of `orderId` (the completed one if any), or undefined. */
  async latestOf(orderId: string): Promise<string | undefined> {
    const cancellations = (await sagasOfOrder(this.sql, orderId)).filter(
      (r) => r.saga_type === cancellationSaga.name,
    );
    return (cancellations.find((r) => r.status === SagaStatus.completed) ?? cancellations.at(-1))?.id;
  }
}
