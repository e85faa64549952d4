// Builders of valid commands for tests: payloads, deliveries for direct calls, and stock fixtures.
import { randomUUID } from 'node:crypto';
import { products, type Database } from '@sagaport/db';
import type { CommandPayload, CommandType, OrderLine } from '@sagaport/rabbitmq';
import { Header, SCHEMA_VERSION } from '@sagaport/rabbitmq';
import type { CommandDelivery } from '../runtime/messages.js';

/** An address in a country shipping serves. */
export const address = {
  name: 'Ada Lovelace',
  line1: 'Unter den Linden 1',
  city: 'Berlin',
  postalCode: '10117',
  country: 'DE',
};

/** A valid `order.create` payload for `orderId`. */
export function orderCreate(orderId: string = randomUUID()): CommandPayload<'order.create'> {
  return {
    orderId,
    customerId: 'customer-1',
    email: 'ada@example.com',
    items: [{ sku: 'SKU-001', quantity: 2, unitPriceCents: 450 }],
    currency: 'EUR',
    totalCents: 900,
    shippingAddress: address,
  };
}

/** A valid `payment.charge` payload paying with `paymentToken`. */
export function paymentCharge(paymentToken: string, amountCents = 1_999): CommandPayload<'payment.charge'> {
  return { orderId: randomUUID(), amountCents, currency: 'EUR', paymentToken };
}

/** A command delivery as the consumer hands it over: fresh message id, the saga id as correlation id. */
export function delivery<T extends CommandType>(
  type: T,
  payload: CommandPayload<T>,
  options: { sagaId?: string; messageId?: string; traceparent?: string } = {},
): CommandDelivery {
  const headers: Record<string, unknown> = { [Header.schemaVersion]: SCHEMA_VERSION };
  if (options.traceparent) headers[Header.traceparent] = options.traceparent;
  return {
    messageId: options.messageId ?? randomUUID(),
    type,
    correlationId: options.sagaId ?? randomUUID(),
    headers,
    payload,
  };
}

/** Puts `available` units of each sku in the catalogue (inserting or overwriting it). */
export async function stockProducts(db: Database, stock: Record<string, number>): Promise<void> {
  for (const [sku, available] of Object.entries(stock)) {
    await db
      .insert(products)
      .values({ sku, name: `Test ${sku}`, priceCents: 100, currency: 'EUR', available })
      .onConflictDoUpdate({ target: products.sku, set: { available } });
  }
}

/** The available stock of each sku. */
export async function availableStock(db: Database): Promise<Record<string, number>> {
  const rows = await db.select({ sku: products.sku, available: products.available }).from(products);
  return Object.fromEntries(rows.map((r) => [r.sku, r.available]));
}

/** An `inventory.reserve` payload for fresh order. */
export function reserve(
  items: OrderLine[],
  orderId: string = randomUUID(),
): CommandPayload<'inventory.reserve'> {
  return { orderId, items };
}
