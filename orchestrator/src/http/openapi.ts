// The checkout API's OpenAPI document without a running API: for tests and tools.
import { createCheckoutApi, checkoutOpenApiDocument, type CheckoutApiDeps } from './checkout-api.js';

/** The document served at /openapi.json; building the routers reads no dependency, only handlers do. */
export function openApiDocument() {
  return checkoutOpenApiDocument(createCheckoutApi({} as CheckoutApiDeps));
}
