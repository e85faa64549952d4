// Sales analytics: the last N minutes per minute and the top SKUs.
import { api, unwrap } from './client.js';
import type { SalesReport } from './types.js';

export function fetchSales(minutes: number, top = 10): Promise<SalesReport> {
  return unwrap(api.GET('/api/admin/analytics/sales', { params: { query: { minutes, top } } }));
}
