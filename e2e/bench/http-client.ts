// The benchmark's HTTP client: node:http over kept-alive sockets, lighter than fetch, so the driver
// takes less of the machine it measures.
import { Agent, request } from 'node:http';
import type { CheckoutBody } from '../src/client.js';

// Idle sockets are dropped after 4 s, before the server's 5 s keep-alive timeout closes them
// under a request just sent (an ECONNRESET that says nothing about the system under test).
const agent = new Agent({ keepAlive: true, maxSockets: Infinity, timeout: 4_000 });

/** POSTs a checkout that waits for its saga's end; resolves the HTTP status, rejects on a network error (with its code). */
export function postWaitingCheckout(
  port: number,
  body: CheckoutBody,
  options: { waitSeconds: number; idempotencyKey: string },
): Promise<number> {
  const payload = JSON.stringify(body);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        agent,
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/checkouts',
        headers: {
          'content-type': 'application/json',
          'content-length': Buffer.byteLength(payload),
          'idempotency-key': options.idempotencyKey,
          prefer: `wait=${options.waitSeconds}`,
        },
      },
      (res) => {
        res.resume(); // the answer's body is not needed: the books are checked afterwards
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}
