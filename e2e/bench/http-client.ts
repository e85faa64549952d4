// The benchmark's HTTP client: node:http over kept-alive sockets, lighter than fetch, so the driver
// takes less of the machine it measures.
import { Agent, request } from 'node:http';
import type { CheckoutBody } from '../src/client.js';

// Idle sockets are dropped after 4 s, before the server's 5 s keep-alive timeout closes them
// under a request just sent (an ECONNRESET that says nothing about the system under test).
const agent = new Agent({ keepAlive: true, maxSockets: Infinity, timeout: 4_000 });

/** POSTs a checkout that waits for its saga's end; resolves the HTTP status, rejects on a network error (with its code). */
export async function postWaitingCheckout(
  port: number,
  body: CheckoutBody,
  options: { waitSeconds: number; idempotencyKey: string },
): Promise<number> {
  return (await postWaiting(port, '/checkouts', JSON.stringify(body), options)).status;
}

/**
 * POSTs a checkout that waits for its saga's end and reads the answer: its HTTP status, and the
 * order id when the checkout completed (an order that can be cancelled).
 */
export async function postWaitingCheckoutForOrder(
  port: number,
  body: CheckoutBody,
  options: { waitSeconds: number; idempotencyKey: string },
): Promise<{ status: number; completedOrderId?: string }> {
  const answer = await postWaiting(port, '/checkouts', JSON.stringify(body), { ...options, read: true });
  const saga = answer.body ? (JSON.parse(answer.body) as { status?: string; orderId?: string }) : {};
  return saga.status === 'completed' && saga.orderId
    ? { status: answer.status, completedOrderId: saga.orderId }
    : { status: answer.status };
}

/** POSTs the cancellation of `orderId`, waiting for its saga's end; resolves the HTTP status. */
export async function postWaitingCancellation(
  port: number,
  orderId: string,
  options: { waitSeconds: number; idempotencyKey: string },
): Promise<number> {
  return (await postWaiting(port, `/orders/${orderId}/cancellation`, '', options)).status;
}

function postWaiting(
  port: number,
  path: string,
  payload: string,
  options: { waitSeconds: number; idempotencyKey: string; read?: boolean },
): Promise<{ status: number; body?: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path,
        headers: {
          ...(payload ? { 'content-type': 'application/json' } : {}),
          'content-length': Buffer.byteLength(payload),
          'idempotency-key': options.idempotencyKey,
          prefer: `wait=${options.waitSeconds}`,
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        // Unless asked for, the answer's body is not needed: the books are checked afterwards.
        if (options.read) res.on('data', (chunk: Buffer) => chunks.push(chunk));
        else res.resume();
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            ...(options.read ? { body: Buffer.concat(chunks).toString('utf8') } : {}),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
