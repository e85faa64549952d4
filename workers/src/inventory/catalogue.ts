// The demo catalogue: a few dozen products with stock, so a fresh installation can take checkouts at once.
import { products, type DbExecutor } from '@sagaport/db';
import { sql } from 'drizzle-orm';

/** A product of the demo catalogue; prices in EUR cents. */
export interface CatalogueProduct {
  readonly sku: string;
  readonly name: string;
  readonly priceCents: number;
  readonly currency: 'EUR';
  readonly available: number;
}

const names = [
  'Espresso cup',
  'Cappuccino mug',
  'Pour-over kettle',
  'Burr grinder',
  'Milk jug',
  'Tamper',
  'French press',
  'Moka pot',
  'Coffee scale',
  'Paper filters (100)',
  'Travel tumbler',
  'Cold brew bottle',
  'House blend 250 g',
  'Single origin 250 g',
  'Decaf 250 g',
  'Espresso blend 1 kg',
  'Chai syrup',
  'Vanilla syrup',
  'Oat milk 1 l',
  'Tea sampler',
  'Matcha tin',
  'Teapot',
  'Tea infuser',
  'Honey jar',
  'Biscotti box',
  'Chocolate bar',
  'Barista apron',
  'Knock box',
  'Cleaning tablets',
  'Descaler',
  'Water filter',
  'Cup rack',
  'Saucer set',
  'Latte art pen',
  'Gift card 25 EUR',
  'Gift card 50 EUR',
];

/** SKU-001 … SKU-036, each with 1000 units; prices vary deterministically. */
export const demoCatalogue: readonly CatalogueProduct[] = names.map((name, i) => ({
  sku: `SKU-${String(i + 1).padStart(3, '0')}`,
  name,
  priceCents: 299 + ((i * 737) % 4_700),
  currency: 'EUR',
  available: 1000,
}));

/**
 * Fills `inventory.products` with {@link demoCatalogue} when it is empty; returns how many
 * products it inserted (0 when the catalogue already had any). Safe to run from several
 * processes at once: a sku inserted by another one is skipped.
 */
export async function seedCatalogue(db: DbExecutor): Promise<number> {
  const [row] = await db.select({ count: sql<number>`count(*)::int` }).from(products);
  if ((row?.count ?? 0) > 0) return 0;
  const inserted = await db
    .insert(products)
    .values([...demoCatalogue])
    .onConflictDoNothing()
    .returning({ sku: products.sku });
  return inserted.length;
}
