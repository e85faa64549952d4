// The OpenAPI 3.1 document of the checkout API, generated from the same zod schemas that validate requests.
import { z } from 'zod';
import {
  CancellationRequest,
  MAX_CANCELLATION_BODY_BYTES,
  CheckoutRequest,
  CheckoutStatus,
  IdempotencyKey,
  KeyReusedProblem,
  MAX_CHECKOUT_BODY_BYTES,
  MAX_WAIT_SECONDS,
  ProblemDetails,
} from './checkout-schema.js';
import { OrderHistory, OrderPage } from './orders.js';

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output') => {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(s, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  });
  return rest;
};

const problemResponse = (description: string, ref = '#/components/schemas/Problem') => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: ref } } },
});

/** The headers a started or replayed checkout answers with. */
const checkoutHeaders = {
  Location: {
    description: 'The checkout: GET it for the outcome',
    schema: { type: 'string', examples: ['/checkouts/0191e4b4-6f4e-7cc1-9c2b-5a4f2d3e1a01'] },
  },
  'Idempotent-Replayed': {
    description: 'Present (`true`) when the key and body were seen before: this is the same checkout',
    schema: { type: 'string', enum: ['true'] },
  },
  'Preference-Applied': {
    description: 'Present when `Prefer: wait=N` was honoured: the wait applied, `wait=N` (N capped)',
    schema: { type: 'string', examples: ['wait=10'] },
  },
};

const statusResponse = (description: string, headers?: typeof checkoutHeaders) => ({
  description,
  ...(headers ? { headers } : {}),
  content: { 'application/json': { schema: { $ref: '#/components/schemas/CheckoutStatus' } } },
});

const kib = (bytes: number) => `${bytes / 1024} KiB`;

/** Builds the document served at /openapi.json. */
export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sagaport checkout API',
      version: '1.0.0',
      description:
        'Starts checkout and order-cancellation sagas and reports their outcome. No authentication: put it behind your own ' +
        'gateway. Errors are RFC 9457 problem details naming the field at fault.',
    },
    servers: [{ url: '/', description: 'The orchestrator serving this document' }],
    security: [],
    paths: {
      '/checkouts': {
        post: {
          operationId: 'startCheckout',
          summary: 'Start a checkout',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: true,
              schema: schema(IdempotencyKey, 'input'),
              description:
                'The same key with the same body returns the same checkout; with another body, 409. ' +
                '1–200 printable ASCII characters without spaces; a UUID is a good key.',
            },
            {
              name: 'Prefer',
              in: 'header',
              required: false,
              schema: { type: 'string', examples: ['wait=10'] },
              description: `wait=N (N ≤ ${MAX_WAIT_SECONDS}): answer 200 when the saga has ended, or 202 after N seconds.`,
            },
          ],
          requestBody: {
            required: true,
            content: { 'application/json': { schema: { $ref: '#/components/schemas/CheckoutRequest' } } },
          },
          responses: {
            '200': statusResponse('The saga ended while the request waited (Prefer: wait)', checkoutHeaders),
            '202': statusResponse('Accepted; follow Location for the outcome', checkoutHeaders),
            '400': problemResponse('Malformed JSON or an invalid Idempotency-Key'),
            '409': problemResponse(
              'The Idempotency-Key was used with a different body; `sagaId` is the checkout it started',
              '#/components/schemas/KeyReusedProblem',
            ),
            '413': problemResponse(`Body larger than ${kib(MAX_CHECKOUT_BODY_BYTES)}`),
            '415': problemResponse('Body is not application/json'),
            '422': problemResponse('Invalid fields (errors[] names each one)'),
            '428': problemResponse('Idempotency-Key header missing'),
          },
        },
      },
      '/orders/{orderId}/cancellation': {
        post: {
          operationId: 'cancelOrder',
          summary: 'Cancel a confirmed order',
          description:
            'Starts the order-cancellation saga: withdraw the shipment, refund the payment, return the stock, ' +
            'mark the order cancelled. Once the parcel has shipped the saga ends `rejected` with the reason ' +
            '(`already_shipped`) and nothing changes. Answered like a checkout: `Location` is the saga ' +
            '(GET /checkouts/{id} reads any saga).',
          parameters: [
            { name: 'orderId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: true,
              schema: schema(IdempotencyKey, 'input'),
              description:
                'The same key with the same request returns the same cancellation; with another, 409.',
            },
            {
              name: 'Prefer',
              in: 'header',
              required: false,
              schema: { type: 'string', examples: ['wait=10'] },
              description: `wait=N (N ≤ ${MAX_WAIT_SECONDS}): answer 200 when the saga has ended, or 202 after N seconds.`,
            },
          ],
          requestBody: {
            required: false,
            content: {
              'application/json': { schema: { $ref: '#/components/schemas/CancellationRequest' } },
            },
          },
          responses: {
            '200': statusResponse(
              'The saga ended while the request waited: `completed`, or `rejected` with the reason',
              checkoutHeaders,
            ),
            '202': statusResponse('Accepted; follow Location for the outcome', checkoutHeaders),
            '400': problemResponse('Malformed JSON or an invalid Idempotency-Key'),
            '404': problemResponse('No such order (or the order id is not a UUID)'),
            '409': problemResponse(
              'The order cannot be cancelled now: its checkout is still running or never completed, it is ' +
                'cancelled already or being cancelled (`sagaId` names that saga), or the Idempotency-Key ' +
                'was used for another request',
              '#/components/schemas/KeyReusedProblem',
            ),
            '413': problemResponse(`Body larger than ${kib(MAX_CANCELLATION_BODY_BYTES)}`),
            '415': problemResponse('Body is not application/json'),
            '422': problemResponse('Invalid fields (errors[] names each one)'),
            '428': problemResponse('Idempotency-Key header missing'),
          },
        },
        get: {
          operationId: 'getOrderCancellation',
          summary: 'Read the cancellation of an order (the completed one, else the newest)',
          parameters: [
            { name: 'orderId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          ],
          responses: {
            '200': statusResponse('The cancellation saga'),
            '404': problemResponse('The order has no cancellation'),
          },
        },
      },
      '/checkouts/{id}': {
        get: {
          operationId: 'getCheckout',
          summary: 'Read a checkout (or any saga the API started)',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          ],
          responses: {
            '200': statusResponse('The checkout'),
            '404': problemResponse('No such checkout'),
          },
        },
      },
      '/orders': {
        get: {
          operationId: 'listOrders',
          summary: "A customer's orders, newest first (from the order-history read model)",
          parameters: [
            {
              name: 'customerId',
              in: 'query',
              required: true,
              schema: { type: 'string', minLength: 1, maxLength: 100 },
            },
            {
              name: 'limit',
              in: 'query',
              required: false,
              schema: { type: 'integer', minimum: 1, maximum: 100, default: 20 },
            },
            {
              name: 'cursor',
              in: 'query',
              required: false,
              schema: { type: 'string' },
              description: '`next` of the previous page',
            },
          ],
          responses: {
            '200': {
              description: 'A page of orders',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/OrderPage' } } },
            },
            '400': problemResponse('A missing customerId, a bad limit or cursor (errors[] names the field)'),
          },
        },
      },
      '/orders/{orderId}': {
        get: {
          operationId: 'getOrder',
          summary: 'An order and every event of its history (from the order-history read model)',
          parameters: [
            { name: 'orderId', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          ],
          responses: {
            '200': {
              description: 'The order',
              content: { 'application/json': { schema: { $ref: '#/components/schemas/OrderHistory' } } },
            },
            '404': problemResponse('No such order (yet: the read model follows the event stream)'),
          },
        },
      },
    },
    components: {
      schemas: {
        CheckoutRequest: schema(CheckoutRequest, 'input'),
        CheckoutStatus: schema(CheckoutStatus),
        CancellationRequest: schema(CancellationRequest, 'input'),
        Problem: schema(ProblemDetails),
        KeyReusedProblem: schema(KeyReusedProblem),
        OrderHistory: schema(OrderHistory),
        OrderPage: schema(OrderPage),
      },
    },
  };
}
