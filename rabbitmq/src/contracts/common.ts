// Building blocks shared by the command and reply contracts.
import { z } from 'zod';

/** Every contract in this package is at this version; it travels in the `x-schema-version` header. */
export const SCHEMA_VERSION = 1;

export const OrderId = z.uuid();
export const Sku = z
  .string()
  .regex(/^[A-Z0-9][A-Z0-9-]{1,39}$/, 'a sku is 2-40 upper-case letters, digits and dashes');
export const Currency = z.string().regex(/^[A-Z]{3}$/, 'an ISO 4217 code such as EUR');
export const Cents = z.number().int().nonnegative().max(100_000_000_00);

export const Quantity = z.number().int().min(1).max(1000);

export const OrderLine = z.strictObject({ sku: Sku, quantity: Quantity });
export type OrderLine = z.infer<typeof OrderLine>;

export const PricedOrderLine = z.strictObject({ sku: Sku, quantity: Quantity, unitPriceCents: Cents });
export type PricedOrderLine = z.infer<typeof PricedOrderLine>;

export const Address = z.strictObject({
  name: z.string().min(1).max(200),
  line1: z.string().min(1).max(200),
  line2: z.string().max(200).optional(),
  city: z.string().min(1).max(100),
  postalCode: z.string().min(1).max(20),
  country: z.string().regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code such as DE'),
});
export type Address = z.infer<typeof Address>;

/** Why a step was refused or failed; `code` is stable, `message` is for people. */
export const FailureReason = z.strictObject({
  code: z.string().min(1).max(100),
  message: z.string().max(2000),
});
export type FailureReason = z.infer<typeof FailureReason>;
