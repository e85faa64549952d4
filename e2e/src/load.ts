// Drives many checkouts against the API with bounded concurrency, retrying through outages with the same key.
import { randomUUID } from 'node:crypto';
import { type CheckoutBody, postCancellation, postCheckout } from './client.js';

export interface DriveOptions {
  readonly total: number;
  readonly concurrency: number;
  /** The API port; a function, so a restarted orchestrator on a new port is picked up. */
  readonly port: () => number;
  readonly body: (index: number) => CheckoutBody;
  /** Called after each accepted checkout with how many were accepted so far. */
  readonly onAccepted?: (accepted: number) => void | Promise<void>;
  /** Called each time a checkout fails (the orchestrator is down) before it is retried. */
  readonly onRefused?: (error: unknown) => void;
  /** Give up on one checkout after this long without an answer. */
  readonly retryForMs?: number;
  /**
   * Checkouts to cancel once they completed: each gets an order cancellation (retried through
   * outages with its own key), whose saga id is set in `cancellations` under the checkout's index.
   */
  readonly cancel?: (index: number) => boolean;
  readonly cancellations?: Map<number, string>;
}

/** Retries `attempt` (same key inside) until it answers, through outages, for at most `retryForMs`. */
async function retrying<T>(options: DriveOptions, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + (options.retryForMs ?? 60_000);
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      options.onRefused?.(error);
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

/** Waits for checkout `sagaId` to complete, then cancels its order; returns the cancellation's saga id. */
async function cancelWhenCompleted(options: DriveOptions, sagaId: string): Promise<string> {
  const orderId = await retrying(options, async () => {
    for (;;) {
      const response = await fetch(`http://127.0.0.1:${options.port()}/checkouts/${sagaId}`);
      const saga = (await response.json()) as { status?: string; orderId?: string };
      if (response.status >= 500) throw new Error(`checkout status answered ${response.status}`);
      if (saga.status === 'completed') return saga.orderId!;
      if (saga.status !== 'running')
        throw new Error(`checkout ${sagaId} ended ${saga.status}: nothing to cancel`);
      await new Promise((r) => setTimeout(r, 100));
    }
  });
  const key = randomUUID();
  return retrying(options, async () => {
    const answer = await postCancellation(options.port(), orderId, { idempotencyKey: key });
    if (answer.httpStatus !== 202 && answer.httpStatus !== 200)
      throw new Error(`cancellation answered ${answer.httpStatus}: ${JSON.stringify(answer.body)}`);
    return answer.body.sagaId!;
  });
}

/**
 * Posts `total` checkouts, `concurrency` at a time. A request that fails (the orchestrator is
 * down) is retried with the same Idempotency-Key, so it starts at most one saga. Returns the saga
 * ids in checkout order: `[i]` is the saga of `body(i)`.
 */
export async function driveCheckouts(options: DriveOptions): Promise<string[]> {
  const sagaIds: string[] = new Array<string>(options.total);
  let next = 0;
  let accepted = 0;
  const worker = async () => {
    while (next < options.total) {
      const index = next++;
      const key = randomUUID();
      const deadline = Date.now() + (options.retryForMs ?? 60_000);
      for (;;) {
        try {
          const answer = await postCheckout(options.port(), options.body(index), { idempotencyKey: key });
          sagaIds[index] = answer.sagaId;
          accepted += 1;
          await options.onAccepted?.(accepted);
          if (options.cancel?.(index))
            options.cancellations?.set(index, await cancelWhenCompleted(options, answer.sagaId));
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          options.onRefused?.(error);
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return sagaIds;
}

/** Outcome of checkout `index` of {@link mixedCheckout}, with stock to spare. */
export interface MixedOutcome {
  readonly status: 'completed' | 'compensated';
  /** The code of the failure that made the saga compensate; null when it completed. */
  readonly reason: 'card_declined' | 'country_not_served' | null;
}

/** What the saga of checkout `index` of {@link mixedCheckout} must end as: the load is deterministic. */
export function expectedMixedOutcome(index: number): MixedOutcome {
  if (index % 10 === 7) return { status: 'compensated', reason: 'card_declined' };
  if (index % 10 === 9) return { status: 'compensated', reason: 'country_not_served' };
  return { status: 'completed', reason: null };
}

/** Checkouts of {@link mixedCheckout} the mixed runs cancel once completed: one in ten (all complete). */
export const cancelledInMix = (index: number) => index % 10 === 3;

/**
 * Counts of {@link expectedMixedOutcome} over checkouts 0 … total - 1, shaped like the books'
 * report; with `cancellations`, that many order cancellations completed too.
 */
export function expectedMixedTotals(total: number, cancellations = 0) {
  const outcomes = Array.from({ length: total }, (_, i) => expectedMixedOutcome(i));
  const compensationReasons: Record<string, number> = {};
  for (const o of outcomes)
    if (o.reason) compensationReasons[o.reason] = (compensationReasons[o.reason] ?? 0) + 1;
  return {
    sagas: total + cancellations,
    running: 0,
    completed: outcomes.filter((o) => o.status === 'completed').length + cancellations,
    compensated: outcomes.filter((o) => o.status === 'compensated').length,
    failed: 0,
    compensationReasons,
  };
}

/** A mixed run: mostly successful checkouts, some declined cards, some unserved countries. */
export function mixedCheckout(skus: readonly string[]) {
  return (index: number): CheckoutBody => {
    const body: CheckoutBody = {
      customerId: `load-${index}`,
      email: `load-${index}@example.com`,
      items: [{ sku: skus[index % skus.length]!, quantity: 1 + (index % 3) }],
      paymentToken: index % 10 === 7 ? 'tok_declined' : 'tok_visa',
      shippingAddress: {
        name: 'Load Test',
        line1: 'Main 1',
        city: 'Berlin',
        postalCode: '10115',
        country: index % 10 === 9 ? 'US' : 'DE',
      },
    };
    return body;
  };
}
