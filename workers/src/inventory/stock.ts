// Stock moves: take with one conditional UPDATE per sku (never below zero), give back on release.
import { products, type DbExecutor } from '@sagaport/db';
import { BusinessRefusal, type OrderLine } from '@sagaport/rabbitmq';
import { and, eq, gte, sql } from 'drizzle-orm';

/**
 * Sums the quantities of repeated skus and sorts by sku. Every transaction that moves stock
 * locks product rows in this order, so two of them can never deadlock on each other's rows.
 */
export function mergeLines(lines: readonly OrderLine[]): OrderLine[] {
  const totals = new Map<string, number>();
  for (const line of lines) totals.set(line.sku, (totals.get(line.sku) ?? 0) + line.quantity);
  return [...totals.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([sku, quantity]) => ({ sku, quantity }));
}

/**
 * Takes every line's quantity from the available stock, each with
 * `UPDATE … SET available = available - q WHERE sku = s AND available >= q`. The first line
 * that cannot be taken throws a BusinessRefusal (`unknown_sku` or `out_of_stock`, naming the
 * sku); run inside a savepoint, that undoes the lines already taken: all or nothing.
 */
export async function takeStock(tx: DbExecutor, lines: readonly OrderLine[]): Promise<void> {
  for (const { sku, quantity } of mergeLines(lines)) {
    const taken = await tx
      .update(products)
      .set({ available: sql`${products.available} - ${quantity}`, updatedAt: sql`now()` })
      .where(and(eq(products.sku, sku), gte(products.available, quantity)))
      .returning({ sku: products.sku });
    if (taken.length > 0) continue;
    const [product] = await tx
      .select({ available: products.available })
      .from(products)
      .where(eq(products.sku, sku));
    if (!product) throw new BusinessRefusal('unknown_sku', `sku ${sku} is not in the catalogue`);
    throw new BusinessRefusal(
      'out_of_stock',
      `sku ${sku}: ${quantity} requested, ${product.available} available`,
    );
  }
}

/** Gives every line's quantity back to the available stock (release of a hold). */
export async function restoreStock(tx: DbExecutor, lines: readonly OrderLine[]): Promise<void> {
  for (const { sku, quantity } of mergeLines(lines)) {
    await tx
      .update(products)
      .set({ available: sql`${products.available} + ${quantity}`, updatedAt: sql`now()` })
      .where(eq(products.sku, sku));
  }
}
