// A small HTTP client of the checkout API for tests and the benchmark.
import { randomUUID } from 'node:crypto';

export interface CheckoutBody {
  customerId: string;
  email: string;
  items: { sku: string; quantity: number }[];
  paymentToken: string;
  shippingAddress: { name: string; line1: string; city: string; postalCode: string; country: string };
}

export interface CheckoutAnswer {
  readonly httpStatus: number;
  readonly sagaId: string;
  readonly status: string;
  readonly reason: { code: string; message: string } | null;
  readonly orderId: string;
}

/** A valid checkout body; override what the scenario needs. */
export function checkoutBody(overrides: Partial<CheckoutBody> = {}): CheckoutBody {
  return {
    customerId: `cust-${randomUUID().slice(0, 8)}`,
    email: 'ada@example.com',
    items: [{ sku: 'SKU-001', quantity: 1 }],
    paymentToken: 'tok_visa',
    shippingAddress: {
      name: 'Ada Lovelace',
      line1: 'Main 1',
      city: 'Berlin',
      postalCode: '10115',
      country: 'DE',
    },
    ...overrides,
  };
}

/** POSTs a checkout; with `waitSeconds`, asks the API to hold the answer until the saga ends. */
export async function postCheckout(
  port: number,
  body: CheckoutBody,
  options: { waitSeconds?: number; idempotencyKey?: string } = {},
): Promise<CheckoutAnswer> {
  const response = await fetch(`http://127.0.0.1:${port}/checkouts`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'idempotency-key': options.idempotencyKey ?? randomUUID(),
      ...(options.waitSeconds ? { prefer: `wait=${options.waitSeconds}` } : {}),
    },
    body: JSON.stringify(body),
  });
  const json = (await response.json()) as {
    sagaId: string;
    status: string;
    reason: CheckoutAnswer['reason'];
    orderId: string;
  };
  if (response.status >= 400)
    throw new Error(`checkout answered ${response.status}: ${JSON.stringify(json)}`);
  return {
    httpStatus: response.status,
    sagaId: json.sagaId,
    status: json.status,
    reason: json.reason,
    orderId: json.orderId,
  };
}

/** The answer to a cancellation: the saga's status, or the problem (409, 404, 422…). */
export interface CancellationAnswer {
  readonly httpStatus: number;
  readonly headers: Headers;
  readonly body: {
    sagaId?: string;
    status?: string;
    reason?: { code: string; message: string } | null;
    title?: string;
    detail?: string;
    errors?: { field: string; message: string }[];
  };
}

/** POSTs the cancellation of `orderId`; with `waitSeconds`, asks the API to hold the answer until the saga ends. */
export async function postCancellation(
  port: number,
  orderId: string,
  options: { reason?: string; waitSeconds?: number; idempotencyKey?: string; body?: string } = {},
): Promise<CancellationAnswer> {
  const body =
    options.body ?? (options.reason === undefined ? '' : JSON.stringify({ reason: options.reason }));
  const response = await fetch(`http://127.0.0.1:${port}/orders/${orderId}/cancellation`, {
    method: 'POST',
    headers: {
      'idempotency-key': options.idempotencyKey ?? randomUUID(),
      ...(body ? { 'content-type': 'application/json' } : {}),
      ...(options.waitSeconds ? { prefer: `wait=${options.waitSeconds}` } : {}),
    },
    ...(body ? { body } : {}),
  });
  return {
    httpStatus: response.status,
    headers: response.headers,
    body: (await response.json()) as CancellationAnswer['body'],
  };
}
