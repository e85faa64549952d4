import { screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { ReplayJobDetail } from '../api/types.js';
import { fakeApi, renderConsole } from '../test/render.js';
import { isLive, progressOf, ReplayJobPage } from './ReplayJobPage.js';

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
  selector: { fingerprint: 'f00dfeedcafe0001' },
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
  it('polls while running and shows the final results', async () => {
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
    renderConsole(<ReplayJobPage id="job-1" />);
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
});
