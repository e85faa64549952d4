import { screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { fakeApi, renderConsole } from '../test/render.js';
import { SalesPanel } from './SalesPanel.js';

const minute = (i: number, sold: number) => ({
  minute: new Date(Date.UTC(2026, 0, 1, 10, i)).toISOString(),
  ordersSold: sold > 0 ? 1 : 0,
  unitsSold: sold,
  revenue: sold > 0 ? [{ currency: 'EUR', cents: sold * 250 }] : [],
  ordersCancelled: i === 7 ? 1 : 0,
  unitsCancelled: i === 7 ? 2 : 0,
  revenueCancelled: i === 7 ? [{ currency: 'EUR', cents: 500 }] : [],
  cardDeclines: i === 3 ? 2 : 0,
});

describe('the sales panel', () => {
  it('draws units, revenue, declines and cancellations per minute, with a table copy and the top SKUs', async () => {
    const { requests } = fakeApi({
      'GET /api/admin/analytics/sales': () => ({
        from: new Date(Date.UTC(2026, 0, 1, 10, 0)).toISOString(),
        to: new Date(Date.UTC(2026, 0, 1, 11, 0)).toISOString(),
        minutes: Array.from({ length: 60 }, (_, i) => minute(i, i % 10 === 0 ? 4 : 0)),
        topSkus: [
          {
            sku: 'SKU-001',
            unitsSold: 18,
            revenue: [{ currency: 'EUR', cents: 4500 }],
            ordersSold: 5,
            unitsCancelled: 2,
            ordersCancelled: 1,
            cardDeclines: 2,
          },
          {
            sku: 'SKU-002',
            unitsSold: 6,
            revenue: [{ currency: 'EUR', cents: 1500 }],
            ordersSold: 3,
            unitsCancelled: 0,
            ordersCancelled: 0,
            cardDeclines: 0,
          },
        ],
      }),
    });
    renderConsole(<SalesPanel refreshMs={60_000} />);
    expect(await screen.findByRole('img', { name: 'Units sold per minute over the last hour' })).toBeTruthy();
    expect(screen.getByRole('img', { name: 'Revenue per minute in EUR over the last hour' })).toBeTruthy();
    expect(screen.getByRole('img', { name: /Card declines and orders cancelled/ })).toBeTruthy();
    expect(screen.getByText(/Revenue 60\.00 EUR/)).toBeTruthy();
    const perMinute = screen.getByRole('table', { name: /Sales per minute/ });
    // Six minutes with sales, one with declines, one with a cancellation.
    expect(within(perMinute).getAllByRole('row')).toHaveLength(1 + 8);
    const top = screen.getByRole('table', { name: 'Top SKUs by units sold, last hour' });
    expect(
      within(top)
        .getAllByRole('rowheader')
        .map((c) => c.textContent),
    ).toEqual(['SKU-001', 'SKU-002']);
    expect(top.textContent).toContain('45.00 EUR');
    expect(requests[0]!.url.search).toBe('?minutes=60&top=10');
  });

  it('says so when nothing sold in the last hour', async () => {
    fakeApi({
      'GET /api/admin/analytics/sales': () => ({
        from: '2026-01-01T10:00:00.000Z',
        to: '2026-01-01T11:00:00.000Z',
        minutes: [],
        topSkus: [],
      }),
    });
    renderConsole(<SalesPanel refreshMs={60_000} />);
    expect(await screen.findByText('No sales in the last hour')).toBeTruthy();
  });
});
