import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { deadLetterGroup } from '../test/fixtures.js';
import { fakeApi, json, renderConsole } from '../test/render.js';
import { bucketMinutes, OverviewPage } from './OverviewPage.js';

const buckets = Array.from({ length: 12 }, (_, i) => ({
  start: new Date(Date.UTC(2025, 2, 1, 10, i * 5)).toISOString(),
  started: 2,
  completed: i % 2,
  compensated: 0,
  failed: i === 11 ? 1 : 0,
}));

describe('the overview', () => {
  it('shows sagas by status, the failure rate, throughput, open dead letters per queue and queue health', async () => {
    fakeApi({
      'GET /api/admin/sagas/stats': () => ({
        byStatus: { running: 4, compensating: 0, completed: 6, compensated: 1, failed: 1 },
        stuck: 2,
        lastHour: { buckets, failureRate: 0.125 },
      }),
      'GET /api/admin/queues': () => ({
        available: true,
        items: [
          {
            name: 'order.commands',
            role: 'work',
            type: 'quorum',
            messages: 0,
            ready: 0,
            unacked: 0,
            consumers: 0,
            publishRate: 0,
            deliverRate: 0,
            ackRate: 0,
          },
        ],
      }),
      'GET /api/admin/dead-letters/groups': () => ({ items: [deadLetterGroup({ openCount: 7 })] }),
      'GET /api/admin/sagas': () => ({ items: [], nextCursor: null }),
      'GET /readyz': () => json({ status: 'ready', checks: { postgres: 'up' } }),
    });
    renderConsole(<OverviewPage />);
    expect(await screen.findByText('12.5%')).toBeTruthy();
    expect(screen.getByRole('link', { name: /2\s*stuck/ }).getAttribute('href')).toBe('/sagas?stuck=true');
    expect(screen.getByRole('img', { name: /over the last hour/ })).toBeTruthy();
    expect(screen.getByText('Sagas ended per 5 minutes, last hour')).toBeTruthy();
    expect(await screen.findByText('No stuck saga')).toBeTruthy();
    expect((await screen.findByRole('table', { name: 'Open dead letters per queue' })).textContent).toContain(
      '7',
    );
    expect(
      (await screen.findByRole('table', { name: 'Work, reply and dead-letter queues' })).textContent,
    ).toContain('no consumer');
  });

  it('says when the broker management API cannot be reached', async () => {
    fakeApi({
      'GET /api/admin/sagas/stats': () => ({
        byStatus: {},
        stuck: 0,
        lastHour: { buckets: [], failureRate: 0 },
      }),
      'GET /api/admin/queues': () => ({ available: false, error: 'connection refused', items: [] }),
      'GET /api/admin/dead-letters/groups': () => ({ items: [] }),
      'GET /api/admin/sagas': () => ({ items: [], nextCursor: null }),
    });
    renderConsole(<OverviewPage />);
    expect(await screen.findByText(/management API cannot be reached: connection refused/)).toBeTruthy();
    expect(await screen.findByText('No open dead letter')).toBeTruthy();
  });

  it('reads the bucket width from the data', () => {
    expect(bucketMinutes(buckets)).toBe(5);
    expect(bucketMinutes([])).toBe(5);
  });
});
