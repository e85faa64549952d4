// The OpenAPI 3.1 document of the checkout API, generated from the same zod schemas that validate requests.
import { z } from 'zod';
import { CheckoutRequest, CheckoutStatus, MAX_WAIT_SECONDS, ProblemDetails } from './checkout-schema.js';

const schema = (s: z.ZodType, io: 'input' | 'output' = 'output') =>
  z.toJSONSchema(s, { target: 'draft-2020-12', io, unrepresentable: 'any' });

const problemResponse = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const statusResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/CheckoutStatus' } } },
});

/** Builds the document served at /openapi.json. */
export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: {
      title: 'Sagaport checkout API',
      version: '1.0.0',
      description:
        'Starts checkout sagas and reports their outcome. Errors are RFC 9457 problem details naming the field at fault.',
    },
    paths: {
      '/checkouts': {
        post: {
          summary: 'Start a checkout',
          parameters: [
            {
              name: 'Idempotency-Key',
              in: 'header',
              required: true,
              schema: { type: 'string', maxLength: 200 },
              description:
                'The same key with the same body returns the same checkout; with another body, 409.',
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
            '200': statusResponse('The saga ended while the request waited (Prefer: wait)'),
            '202': statusResponse('Accepted; follow Location for the outcome'),
            '400': problemResponse('Malformed JSON or an invalid Idempotency-Key'),
            '409': problemResponse('The Idempotency-Key was used with a different body'),
            '413': problemResponse('Body larger than 64 KiB'),
            '415': problemResponse('Body is not application/json'),
            '422': problemResponse('Invalid fields (errors[] names each one)'),
            '428': problemResponse('Idempotency-Key header missing'),
          },
        },
      },
      '/checkouts/{id}': {
        get: {
          summary: 'Read a checkout',
          parameters: [
            { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } },
          ],
          responses: { '200': statusResponse('The checkout'), '404': problemResponse('No such checkout') },
        },
      },
    },
    components: {
      schemas: {
        CheckoutRequest: schema(CheckoutRequest, 'input'),
        CheckoutStatus: schema(CheckoutStatus),
        Problem: schema(ProblemDetails),
      },
    },
  };
}
