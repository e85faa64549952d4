// Reads of the sales-analytics read model: a window of minutes (every minute, empty ones too) and its top SKUs.
import type postgres from 'postgres';

interface Money {
  currency: string;
  cents: number;
}

export interface SalesMinute {
  minute: string;
  ordersSold: number;
  unitsSold: number;
  revenue: Money[];
  ordersCancelled: number;
  unitsCancelled: number;
  revenueCancelled: Money[];
  cardDeclines: number;
}

export interface SalesSku {
  sku: string;
  unitsSold: number;
  revenue: Money[];
  ordersSold: number;
  unitsCancelled: number;
  ordersCancelled: number;
  cardDeclines: number;
}

export interface SalesReport {
  from: string;
  to: string;
  minutes: SalesMinute[];
  topSkus: SalesSku[];
}

interface Row {
  minute: Date;
  sku: string;
  currency: string;
  orders_sold: number;
  units_sold: string | number;
  revenue_cents: string | number;
  orders_cancelled: number;
  units_cancelled: string | number;
  revenue_cancelled_cents: string | number;
  card_declines: number;
}

/** Adds `cents` of `currency` to a list of amounts, one per currency, sorted by currency. */
function addMoney(list: Money[], currency: string, cents: number): void {
  if (cents === 0) return;
  const found = list.find((m) => m.currency === currency);
  if (found) found.cents += cents;
  else {
    list.push({ currency, cents });
    list.sort((a, b) => a.currency.localeCompare(b.currency));
  }
}

/**
 * The last `minutes` minutes up to now (the current, unfinished minute last) and the `top` SKUs of
 * that window by units sold, then revenue. Cancellations are reported apart from sales.
 */
export async function salesReport(
  sql: postgres.Sql,
  { minutes, top }: { minutes: number; top: number },
): Promise<SalesReport> {
  const now = Date.now();
  const last = Math.floor(now / 60_000) * 60_000;
  const first = last - (minutes - 1) * 60_000;
  const rows = await sql<Row[]>`
    select minute, sku, currency, orders_sold, units_sold, revenue_cents, orders_cancelled, units_cancelled,
      revenue_cancelled_cents, card_declines
    from projections.sales_by_minute
    where minute >= ${new Date(first).toISOString()}::timestamptz and minute <= ${new Date(last).toISOString()}::timestamptz`;
  const series = new Map<number, SalesMinute>();
  for (let t = first; t <= last; t += 60_000) {
    series.set(t, {
      minute: new Date(t).toISOString(),
      ordersSold: 0,
      unitsSold: 0,
      revenue: [],
      ordersCancelled: 0,
      unitsCancelled: 0,
      revenueCancelled: [],
      cardDeclines: 0,
    });
  }
  const skus = new Map<string, SalesSku>();
  for (const row of rows) {
    const m = series.get(new Date(row.minute).getTime());
    const s =
      skus.get(row.sku) ??
      skus
        .set(row.sku, {
          sku: row.sku,
          unitsSold: 0,
          revenue: [],
          ordersSold: 0,
          unitsCancelled: 0,
          ordersCancelled: 0,
          cardDeclines: 0,
        })
        .get(row.sku)!;
    for (const target of m ? [m, s] : [s]) {
      target.ordersSold += row.orders_sold;
      target.unitsSold += Number(row.units_sold);
      addMoney(target.revenue, row.currency, Number(row.revenue_cents));
      target.ordersCancelled += row.orders_cancelled;
      target.unitsCancelled += Number(row.units_cancelled);
      target.cardDeclines += row.card_declines;
    }
    if (m) addMoney(m.revenueCancelled, row.currency, Number(row.revenue_cancelled_cents));
  }
  const total = (list: Money[]) => list.reduce((sum, m) => sum + m.cents, 0);
  const topSkus = [...skus.values()]
    .filter((s) => s.unitsSold > 0 || s.unitsCancelled > 0 || s.cardDeclines > 0)
    .sort(
      (a, b) =>
        b.unitsSold - a.unitsSold || total(b.revenue) - total(a.revenue) || a.sku.localeCompare(b.sku),
    )
    .slice(0, top);
  return {
    from: new Date(first).toISOString(),
    to: new Date(last + 60_000).toISOString(),
    minutes: [...series.values()],
    topSkus,
  };
}
