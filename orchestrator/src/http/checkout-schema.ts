// The checkout API's request and response schemas (zod); the OpenAPI document is generated from them.
import { Address, Quantity, Sku } from '@sagaport/rabbitmq';
import { z } from '@hono/zod-openapi';
import { ProblemSchema } from '@sagaport/runtime';

export const CheckoutRequest = z
  .strictObject({
    customerId: z.string().trim().min(1).max(100).describe('Your identifier of the customer'),
    email: z.email().max(320),
    items: z
      .array(z.strictObject({ sku: Sku, quantity: Quantity }))
      .min(1, 'an order needs at least one line')
      .max(100, 'an order has at most 100 lines'),
    paymentToken: z
      .string()
      .min(1)
      .max(200)
      .describe('A payment-provider token. Test tokens: tok_visa, tok_declined, tok_unavailable, tok_slow'),
    shippingAddress: Address,
  })
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.items.forEach((line, index) => {
      if (seen.has(line.sku)) {
        ctx.addIssue({
          code: 'custom',
          path: ['items', index, 'sku'],
          message: `sku ${line.sku} appears twice`,
        });
      }
      seen.add(line.sku);
    });
  })
  .openapi('CheckoutRequest');
export type CheckoutRequest = z.infer<typeof CheckoutRequest>;

/** The optional body of POST /orders/{orderId}/cancellation. */
export const CancellationRequest = z
  .strictObject({
    reason: z
      .string()
      .trim()
      .min(1)
      .max(500)
      .optional()
      .describe('Why the order is cancelled; kept with the order and its order.cancelled event'),
  })
  .openapi('CancellationRequest');
export type CancellationRequest = z.infer<typeof CancellationRequest>;

/** A saga's status as the public API answers it: a checkout's, or an order cancellation's. */
export const CheckoutStatus = z
  .strictObject({
    sagaId: z.uuid(),
    status: z.enum(['running', 'compensating', 'completed', 'compensated', 'failed', 'rejected']),
    currentStep: z.string().nullable().describe('The step awaiting a reply; null once the saga has ended'),
    outcome: z.string().nullable(),
    reason: z.strictObject({ code: z.string(), message: z.string() }).nullable(),
    orderId: z.uuid(),
    totalCents: z.number().int(),
    currency: z.string(),
    createdAt: z.iso.datetime({ offset: true }),
    updatedAt: z.iso.datetime({ offset: true }),
  })
  .openapi('CheckoutStatus');
export type CheckoutStatus = z.infer<typeof CheckoutStatus>;

/** The 409 of an Idempotency-Key reused with another body: the problem and the checkout the key started. */
export const KeyReusedProblem = z
  .object({
    ...ProblemSchema.shape,
    sagaId: z.uuid().describe('The checkout this key already started'),
  })
  .openapi('KeyReusedProblem');

/** An Idempotency-Key: 1–200 printable ASCII characters without spaces (a UUID, say). */
export const IdempotencyKey = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces');

/** Largest accepted request body; larger ones get 413. */
export const MAX_CHECKOUT_BODY_BYTES = 64 * 1024;
/** Largest accepted cancellation body (a reason). */
export const MAX_CANCELLATION_BODY_BYTES = 4 * 1024;
/** Longest `Prefer: wait` honoured, in seconds. */
export const MAX_WAIT_SECONDS = 30;
