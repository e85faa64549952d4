// Starts checkouts idempotently and reads their status: the logic behind the checkout API.
import { createHash, randomUUID } from 'node:crypto';
import { checkoutRequests, sagaInstances, type Database } from '@sagaport/db';
import { eq } from 'drizzle-orm';
import type postgres from 'postgres';
import type { CheckoutRequest, CheckoutStatus } from '../http/checkout-schema.js';
import type { FieldError } from '@sagaport/runtime';
import type { SagaEngine } from '../saga/engine.js';
import type { EndedSaga } from '../saga/store.js';
import { type CheckoutData, checkoutSaga } from '../saga/checkout-saga.js';
import { type SagaState, terminalStatuses } from '../saga/types.js';

export type StartResult =
  | { readonly kind: 'started' | 'replayed'; readonly sagaId: string }
  | { readonly kind: 'key-reused'; readonly sagaId: string }
  | { readonly kind: 'invalid'; readonly errors: readonly FieldError[] };

/** A stable fingerprint of a request body (zod output keeps the schema's key order). */
function hashRequest(request: CheckoutRequest): string {
  return createHash('sha256').update(JSON.stringify(request)).digest('hex');
}

interface StatusRow {
  id: string;
  status: string;
  current_step: string | null;
  outcome: string | null;
  failure_reason: { code: string; message: string } | null;
  order_id: string;
  total_cents: number;
  currency: string;
  created_ms: string | number;
  updated_ms: string | number;
}

/** A product's price as a checkout reads it, and when it was read (`performance.now()`). */
interface PricedProduct {
  readonly sku: string;
  readonly priceCents: number;
  readonly currency: string;
  readonly readAt: number;
}

export interface CheckoutServiceOptions {
  /**
   * How long a price read for one checkout serves the next ones (0: read for every checkout).
   * A price changed in the catalogue reaches new checkouts at most this much later; a sku the
   * catalogue does not hold is never remembered, so a new product sells at once.
   */
  readonly catalogueCacheMs?: number;
}

export class CheckoutService {
  private readonly prices = new Map<string, PricedProduct>();

  constructor(
    private readonly db: Database,
    /** The postgres.js client under `db`: the per-request reads are prepared statements on it. */
    private readonly sql: postgres.Sql,
    private readonly engine: SagaEngine,
    private readonly options: CheckoutServiceOptions = {},
  ) {}

  /**
   * Starts the saga for `request`, or returns the saga an earlier request with the same key
   * started. The key, its body hash and the saga's first transition commit together.
   */
  async start(
    idempotencyKey: string,
    request: CheckoutRequest,
    /** Called with the new saga's id after its commit and before its first command is sent. */
    onCommitted?: (sagaId: string) => void,
  ): Promise<StartResult> {
    const requestHash = hashRequest(request);
    const priced = await this.price(request);
    if ('errors' in priced) {
      // The catalogue may have changed since an earlier request with this key started its saga.
      const earlier = await this.findByKey(idempotencyKey);
      if (!earlier) return { kind: 'invalid', errors: priced.errors };
      return earlier.requestHash === requestHash
        ? { kind: 'replayed', sagaId: earlier.sagaId }
        : { kind: 'key-reused', sagaId: earlier.sagaId };
    }
    const sagaId = randomUUID();
    // One statement: the key, its body hash and the saga's first transition commit together,
    // and only if the key is new. A concurrent request with the same key waits on its primary key.
    const rows = await this.engine.start(checkoutSaga.name, {
      idempotencyKey,
      requestHash,
      sagaId,
      data: { ...priced.data, orderId: randomUUID() },
    });
    if (rows) {
      onCommitted?.(sagaId);
      await settledWithin(this.engine.dispatch(rows), MAX_DISPATCH_WAIT_MS);
      return { kind: 'started', sagaId };
    }
    const winner = (await this.findByKey(idempotencyKey))!;
    return winner.requestHash === requestHash
      ? { kind: 'replayed', sagaId: winner.sagaId }
      : { kind: 'key-reused', sagaId: winner.sagaId };
  }

  /** The public view of a saga this process just ended, as {@link status} would read it. */
  static statusOf(saga: EndedSaga): CheckoutStatus {
    const state = saga.state as SagaState<{ orderId: string; totalCents: number; currency: string }>;
    return {
      sagaId: saga.id,
      status: state.status,
      currentStep: state.awaiting?.step ?? null,
      outcome: state.status,
      reason: state.failure ? { code: state.failure.code, message: state.failure.message } : null,
      orderId: state.data.orderId,
      totalCents: state.data.totalCents,
      currency: state.data.currency,
      createdAt: saga.createdAt.toISOString(),
      updatedAt: saga.updatedAt.toISOString(),
    };
  }

  /** The public view of a checkout, or undefined for an unknown id. */
  async status(sagaId: string): Promise<CheckoutStatus | undefined> {
    // One prepared statement reading only what the answer needs (the state's data is large).
    const [row] = await this.sql<StatusRow[]>`
      select id, status, current_step, outcome, failure_reason,
        state #>> '{data,orderId}' as order_id, (state #>> '{data,totalCents}')::int as total_cents,
        state #>> '{data,currency}' as currency,
        extract(epoch from created_at) * 1000 as created_ms, extract(epoch from updated_at) * 1000 as updated_ms
      from saga.instances where id = ${sagaId}`;
    if (!row) return undefined;
    return {
      sagaId: row.id,
      status: row.status as CheckoutStatus['status'],
      currentStep: row.current_step,
      outcome: row.outcome,
      reason: row.failure_reason ?? null,
      orderId: row.order_id,
      totalCents: row.total_cents,
      currency: row.currency,
      createdAt: new Date(Number(row.created_ms)).toISOString(),
      updatedAt: new Date(Number(row.updated_ms)).toISOString(),
    };
  }

  /** Whether the saga has ended (completed, compensated, failed or rejected). */
  async hasEnded(sagaId: string): Promise<boolean> {
    const [row] = await this.db
      .select({ status: sagaInstances.status })
      .from(sagaInstances)
      .where(eq(sagaInstances.id, sagaId));
    return row ? terminalStatuses.includes(row.status as SagaState['status']) : false;
  }

  async findByKey(idempotencyKey: string) {
    const [row] = await this.db
      .select()
      .from(checkoutRequests)
      .where(eq(checkoutRequests.idempotencyKey, idempotencyKey));
    return row;
  }

  /** The catalogue's products among `skus` (prices remembered for `catalogueCacheMs`). */
  private async productsOf(skus: readonly string[]): Promise<Map<string, PricedProduct>> {
    const now = performance.now();
    const maxAge = this.options.catalogueCacheMs ?? 0;
    const found = new Map<string, PricedProduct>();
    const missing: string[] = [];
    for (const sku of new Set(skus)) {
      const known = this.prices.get(sku);
      if (known && now - known.readAt < maxAge) found.set(sku, known);
      else missing.push(sku);
    }
    if (missing.length === 0) return found;
    const rows = await this.sql<{ sku: string; priceCents: number; currency: string }[]>`
      select sku, price_cents as "priceCents", currency from inventory.products
      where sku = any(${this.sql.array(missing, 25)}::text[])`;
    for (const row of rows) {
      const product = { sku: row.sku, priceCents: row.priceCents, currency: row.currency, readAt: now };
      found.set(row.sku, product);
      if (maxAge > 0) this.prices.set(row.sku, product);
    }
    // A catalogue has few products, but bound what an attacker's invented skus could not add anyway.
    if (this.prices.size > 100_000) this.prices.clear();
    return found;
  }

  /** Prices every line from the catalogue; an unknown sku is a field error. */
  private async price(
    request: CheckoutRequest,
  ): Promise<{ data: Omit<CheckoutData, 'orderId'> } | { errors: FieldError[] }> {
    const bySku = await this.productsOf(request.items.map((i) => i.sku));
    const rows = [...bySku.values()];
    const errors = request.items.flatMap((line, index) =>
      bySku.has(line.sku) ? [] : [{ field: `items.${index}.sku`, message: `unknown sku ${line.sku}` }],
    );
    if (errors.length > 0) return { errors };
    const currencies = new Set(rows.map((r) => r.currency));
    if (currencies.size > 1)
      return { errors: [{ field: 'items', message: 'all lines must be in one currency' }] };
    const items = request.items.map((line) => ({ ...line, unitPriceCents: bySku.get(line.sku)!.priceCents }));
    return {
      data: {
        customerId: request.customerId,
        email: request.email,
        items,
        currency: rows[0]!.currency,
        totalCents: items.reduce((sum, line) => sum + line.quantity * line.unitPriceCents, 0),
        shippingAddress: request.shippingAddress,
        paymentToken: request.paymentToken,
      },
    };
  }
}

/**
 * How long a checkout waits for its first command's confirm after the commit. The saga is safe
 * once committed (the relay publishes what the direct publish does not); a broker that stopped
 * confirming (a memory or disk alarm blocks the connection) must not hold the answer.
 */
export const MAX_DISPATCH_WAIT_MS = 2_000;

/** Waits for `work` (which never rejects) for at most `ms`; the work goes on after that. */
export async function settledWithin(work: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([work, new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}
