// Drives many checkouts against the API with bounded concurrency, retrying through outages with the same key.
import { randomUUID } from 'node:crypto';
import { type CheckoutBody, postCheckout } from './client.js';

export interface DriveOptions {
  readonly total: number;
  readonly concurrency: number;
  /** The API port; a function, so a restarted orchestrator on a new port is picked up. */
  readonly port: () => number;
  readonly body: (index: number) => CheckoutBody;
  /** Called after each accepted checkout with how many were accepted so far. */
  readonly onAccepted?: (accepted: number) => void | Promise<void>;
  /** Give up on one checkout after this long without an answer. */
  readonly retryForMs?: number;
}

/**
 * Posts `total` checkouts, `concurrency` at a time. A request that fails (the orchestrator is
 * down) is retried with the same Idempotency-Key, so it starts at most one saga. Returns the ids.
 */
export async function driveCheckouts(options: DriveOptions): Promise<string[]> {
  const sagaIds: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < options.total) {
      const index = next++;
      const key = randomUUID();
      const deadline = Date.now() + (options.retryForMs ?? 60_000);
      for (;;) {
        try {
          const answer = await postCheckout(options.port(), options.body(index), { idempotencyKey: key });
          sagaIds.push(answer.sagaId);
          await options.onAccepted?.(sagaIds.length);
          break;
        } catch (error) {
          if (Date.now() > deadline) throw error;
          await new Promise((r) => setTimeout(r, 200));
        }
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  return sagaIds;
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
