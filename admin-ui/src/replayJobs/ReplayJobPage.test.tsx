import { PollingOnly } from '../live/LiveUpdates.js';
import { fireEvent, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import type { ReplayJobDetail } from '../api/types.js';
import { fakeApi, renderConsole } from '../test/render.js';
import { isLive, ITEMS_PER_PAGE, progressOf, ReplayJobPage } from './ReplayJobPage.js';
import { describeSelector } from './selector.js';

const job = (overrides: Partial<ReplayJobDetail>): ReplayJobDetail => ({
  id: 'job-1',
  status: 'running',
  createdBy: 'ops@example.com',
  createdAt: '2025-03-01T10:00:00.000Z',
  startedAt: '2025-03-01T10:00:00.000Z',
  finishedAt: null,
  ratePerSecond: 50,
  total: 3,
  replayed: 1,
  skipped: 0,
  failed: 0,
  selector: { kind: 'fingerprint', fingerprint: 'f00dfeedcafe0001' },
  nextCursor: null,
  items: [
    {
      deadLetterId: 'dl-1',
      status: 'replayed',
      detail: null,
      replayMessageId: 'm-1',
      processedAt: '2025-03-01T10:00:01.000Z',
    },
    { deadLetterId: 'dl-2', status: 'pending', detail: null, replayMessageId: null, processedAt: null },
    { deadLetterId: 'dl-3', status: 'pending', detail: null, replayMessageId: null, processedAt: null },
  ],
  ...overrides,
});

describe('a bulk replay job', () => {
  it('polls while running (the live stream down) and shows the final results', async () => {
    let polls = 0;
    fakeApi({
      'GET /api/admin/replay-jobs/{id}': () =>
        ++polls < 2
          ? job({})
          : job({
              status: 'completed',
              replayed: 2,
              failed: 1,
              finishedAt: '2025-03-01T10:00:02.000Z',
              items: [
                {
                  deadLetterId: 'dl-1',
                  status: 'replayed',
                  detail: null,
                  replayMessageId: 'm-1',
                  processedAt: '2025-03-01T10:00:01.000Z',
                },
                {
                  deadLetterId: 'dl-2',
                  status: 'replayed',
                  detail: null,
                  replayMessageId: 'm-2',
                  processedAt: '2025-03-01T10:00:01.500Z',
                },
                {
                  deadLetterId: 'dl-3',
                  status: 'failed',
                  detail: 'edited body breaks the contract',
                  replayMessageId: null,
                  processedAt: '2025-03-01T10:00:02.000Z',
                },
              ],
            }),
    });
    renderConsole(
      <PollingOnly ms={1_000}>
        <ReplayJobPage id="job-1" />
      </PollingOnly>,
    );
    expect(await screen.findByText('1 of 3 processed')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Cancel the rest' })).toBeTruthy();
    expect(await screen.findByText('3 of 3 processed', {}, { timeout: 3_000 })).toBeTruthy();
    expect(screen.getByText(/2 replayed, 0 skipped, 1 failed/)).toBeTruthy();
    expect(screen.getByText('edited body breaks the contract')).toBeTruthy();
    expect(screen.queryByRole('button', { name: 'Cancel the rest' })).toBeNull();
  });

  it('computes progress and liveness', () => {
    expect(progressOf({ total: 4, replayed: 1, skipped: 1, failed: 0 })).toBe(0.5);
    expect(progressOf({ total: 0, replayed: 0, skipped: 0, failed: 0 })).toBe(1);
    expect(isLive({ status: 'queued' })).toBe(true);
    expect(isLive({ status: 'cancelled' })).toBe(false);
  });

  it('shows a 10,000-item job a page of rows at a time, with its progress bar, and pages on by cursor', async () => {
    const ids = Array.from(
      { length: 10_000 },
      (_, n) => `${String(n).padStart(8, '0')}-0000-4000-8000-000000000000`,
    );
    const pageOf = (start: number) =>
      ids.slice(start, start + ITEMS_PER_PAGE).map((deadLetterId) => ({
        deadLetterId,
        status: 'pending' as const,
        detail: null,
        replayMessageId: null,
        processedAt: null,
      }));
    const api = fakeApi({
      'GET /api/admin/replay-jobs/{id}': (_request, url) => {
        const cursor = url.searchParams.get('cursor');
        const start = cursor ? Number(cursor) : 0;
        return job({
          total: 10_000,
          replayed: 2_500,
          selector: { kind: 'ids', count: 10_000 },
          items: pageOf(start),
          nextCursor: String(start + ITEMS_PER_PAGE),
        });
      },
    });
    renderConsole(<ReplayJobPage id="job-1" />);
    expect(await screen.findByText('2500 of 10000 processed', {}, { timeout: 5_000 })).toBeTruthy();
    expect(screen.getByRole('progressbar', { name: 'Replay progress' })).toBeTruthy();
    // One page of items, not 10,000 rows (role queries are slow in jsdom: count the rows directly).
    const rows = () => document.querySelectorAll('table tbody tr');
    expect(rows()).toHaveLength(ITEMS_PER_PAGE);
    expect(api.requests[0]!.url.searchParams.get('limit')).toBe(String(ITEMS_PER_PAGE));

    fireEvent.click(screen.getByRole('button', { name: 'Next page' }));
    expect(await screen.findByText('Page 2', {}, { timeout: 5_000 })).toBeTruthy();
    expect(await screen.findByText(ids[ITEMS_PER_PAGE]!.slice(0, 8), {}, { timeout: 5_000 })).toBeTruthy();
    expect(rows()).toHaveLength(ITEMS_PER_PAGE);
    expect(api.requests.at(-1)!.url.searchParams.get('cursor')).toBe(String(ITEMS_PER_PAGE));
  }, 20_000);

  it('asks for one result at a time when filtered, from the first page', async () => {
    const api = fakeApi({ 'GET /api/admin/replay-jobs/{id}': () => job({}) });
    renderConsole(<ReplayJobPage id="job-1" />);
    fireEvent.change(await screen.findByLabelText('Show'), { target: { value: 'failed' } });
    await screen.findByText('Page 1');
    expect(
      await vi.waitFor(() => {
        const last = api.requests.at(-1)!.url.searchParams;
        if (last.get('status') !== 'failed') throw new Error('not yet');
        return last.get('cursor');
      }),
    ).toBeNull();
  });

  it('describes what a job selected', () => {
    expect(describeSelector({ kind: 'ids', count: 10_000 })).toBe('10000 chosen dead letters');
    expect(describeSelector({ kind: 'fingerprint', fingerprint: 'f00dfeedcafe0001ffff' })).toBe(
      'every open dead letter of group f00dfeedcafe',
    );
    expect(describeSelector({ kind: 'filter', filter: { queue: 'payment.commands' } })).toBe(
      'open dead letters where queue = “payment.commands”',
    );
  });
});
