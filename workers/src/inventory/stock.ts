// Stock lines: merged and sorted (the product lock order of every stock move), and given back by the expiry sweeper.
import { products, type DbExecutor } from '@sagaport/db';
import type { OrderLine } from '@sagaport/rabbitmq';
import { eq, sql } from 'drizzle-orm';

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

/** Gives every line's quantity back to the available stock (release of a hold). */
export async function restoreStock(tx: DbExecutor, lines: readonly OrderLine[]): Promise<void> {
  for (const { sku, quantity } of mergeLines(lines)) {
    await tx
      .update(products)
      .set({ available: sql`${products.available} + ${quantity}`, updatedAt: sql`now()` })
      .where(eq(products.sku, sku));
  }
}
