// Sales of the last hour: units sold, revenue, card declines and cancellations per minute (charts with a table copy), and the top SKUs.
import { useQuery } from '@tanstack/react-query';
import { fetchSales } from '../api/analytics.js';
import type { SalesReport } from '../api/types.js';
import { BarChart } from '../ui/BarChart.js';
import { formatMoney, formatTime } from '../ui/format.js';
import { Empty, QueryView } from '../ui/states.js';

type Money = SalesReport['minutes'][number]['revenue'];

/** The currency with the most revenue in the window: the revenue chart draws that one. */
export function mainCurrency(report: SalesReport): string | null {
  const totals = new Map<string, number>();
  for (const m of report.minutes)
    for (const r of m.revenue) totals.set(r.currency, (totals.get(r.currency) ?? 0) + r.cents);
  return [...totals].sort((a, b) => b[1] - a[1])[0]?.[0] ?? null;
}

const cents = (list: Money, currency: string | null) => list.find((m) => m.currency === currency)?.cents ?? 0;
const money = (list: Money) =>
  list.length === 0 ? '—' : list.map((m) => formatMoney(m.cents, m.currency)).join(', ');

/** One bucket per minute, in the shape the bar chart draws. */
export function salesBuckets(report: SalesReport) {
  const currency = mainCurrency(report);
  return report.minutes.map((m) => ({
    start: m.minute,
    unitsSold: m.unitsSold,
    revenueCents: cents(m.revenue, currency),
    cardDeclines: m.cardDeclines,
    ordersCancelled: m.ordersCancelled,
  }));
}

function SalesCharts({ report }: { report: SalesReport }) {
  const currency = mainCurrency(report);
  const buckets = salesBuckets(report);
  const active = report.minutes.filter(
    (m) => m.unitsSold > 0 || m.cardDeclines > 0 || m.ordersCancelled > 0 || m.unitsCancelled > 0,
  );
  return (
    <>
      <div className="detail-grid">
        <div>
          <h3 className="panel__subtitle">Units sold per minute</h3>
          <BarChart
            buckets={buckets}
            series={[{ key: 'unitsSold', label: 'Units sold', colour: 'var(--success)' }]}
            label="Units sold per minute over the last hour"
          />
        </div>
        <div>
          <h3 className="panel__subtitle">Revenue per minute{currency ? ` (${currency})` : ''}</h3>
          <BarChart
            buckets={buckets}
            series={[
              {
                key: 'revenueCents',
                label: 'Revenue',
                colour: 'var(--accent)',
                format: (total) => formatMoney(total, currency),
              },
            ]}
            label={`Revenue per minute${currency ? ` in ${currency}` : ''} over the last hour`}
          />
        </div>
      </div>
      <h3 className="panel__subtitle">Card declines and cancellations per minute</h3>
      <BarChart
        buckets={buckets}
        series={[
          { key: 'cardDeclines', label: 'Card declines', colour: 'var(--danger)' },
          { key: 'ordersCancelled', label: 'Cancelled after sale', colour: 'var(--warning)' },
        ]}
        label="Card declines and orders cancelled after their sale per minute over the last hour"
        height={80}
      />
      <details className="sales__table">
        <summary>
          Per minute, as a table ({active.length} minutes with sales, declines or cancellations)
        </summary>
        <div className="table-wrap">
          <table className="table">
            <caption>Sales per minute, last hour (minutes with activity)</caption>
            <thead>
              <tr>
                <th scope="col">Minute</th>
                <th scope="col">Units sold</th>
                <th scope="col">Revenue</th>
                <th scope="col">Orders cancelled</th>
                <th scope="col">Revenue cancelled</th>
                <th scope="col">Card declines</th>
              </tr>
            </thead>
            <tbody>
              {active.map((m) => (
                <tr key={m.minute}>
                  <th scope="row">{formatTime(m.minute)}</th>
                  <td>{m.unitsSold}</td>
                  <td>{money(m.revenue)}</td>
                  <td>{m.ordersCancelled}</td>
                  <td>{money(m.revenueCancelled)}</td>
                  <td>{m.cardDeclines}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </details>
    </>
  );
}

function TopSkus({ skus }: { skus: SalesReport['topSkus'] }) {
  return (
    // Six columns do not fit a phone's width: the table scrolls, not the page.
    <div className="table-wrap">
      <table className="table">
        <caption>Top SKUs by units sold, last hour</caption>
        <thead>
          <tr>
            <th scope="col">SKU</th>
            <th scope="col">Units sold</th>
            <th scope="col">Revenue</th>
            <th scope="col">Orders</th>
            <th scope="col">Units cancelled</th>
            <th scope="col">Card declines</th>
          </tr>
        </thead>
        <tbody>
          {skus.map((s) => (
            <tr key={s.sku}>
              <th scope="row">{s.sku}</th>
              <td>{s.unitsSold}</td>
              <td>{money(s.revenue)}</td>
              <td>{s.ordersSold}</td>
              <td>{s.unitsCancelled}</td>
              <td>{s.cardDeclines}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** The overview's sales panel; it reads the sales-analytics read model every `refreshMs`. */
export function SalesPanel({ refreshMs }: { refreshMs: number }) {
  const sales = useQuery({
    queryKey: ['sales', 60],
    queryFn: () => fetchSales(60),
    refetchInterval: refreshMs,
  });
  return (
    <section className="panel" aria-label="Sales, last hour">
      <h2 className="panel__title">Sales, last hour</h2>
      <QueryView query={sales} loadingLabel="Loading sales…">
        {(report) =>
          report.topSkus.length === 0 ? (
            <Empty title="No sales in the last hour">Confirmed orders appear here within seconds.</Empty>
          ) : (
            <>
              <SalesCharts report={report} />
              <TopSkus skus={report.topSkus} />
            </>
          )
        }
      </QueryView>
    </section>
  );
}
