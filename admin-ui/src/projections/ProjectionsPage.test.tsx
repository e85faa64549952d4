import { fireEvent, screen, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { Projection, ProjectionRebuild } from '../api/types.js';
import { fakeApi, json, problem, renderConsole, viewer } from '../test/render.js';
import { isRebuilding, ProjectionsPage } from './ProjectionsPage.js';

const rebuild = (overrides: Partial<ProjectionRebuild> = {}): ProjectionRebuild => ({
  id: 7,
  state: 'running',
  appliedEvents: 420,
  streamOffset: 419,
  targetOffset: 999,
  progress: 0.42,
  startedBy: 'ops@example.com',
  startedAt: '2025-03-01T10:00:00.000Z',
  finishedAt: null,
  error: null,
  ...overrides,
});

const projection = (overrides: Partial<Projection> = {}): Projection => ({
  name: 'order-history',
  state: 'running',
  offset: 1200,
  streamEnd: 1210,
  lagEvents: 10,
  lagSeconds: 75,
  appliedEvents: 1201,
  lastEventAt: '2025-03-01T10:00:00.000Z',
  lastError: null,
  openParked: 2,
  runner: '123-abcd',
  leaseUntil: null,
  rebuild: null,
  ...overrides,
});

describe('ProjectionsPage', () => {
  it('shows state, offset, lag and parked events, and a running rebuild as a progress bar', async () => {
    fakeApi({ 'GET /api/admin/projections': () => ({ items: [projection({ rebuild: rebuild() })] }) });
    renderConsole(<ProjectionsPage />);
    const row = (await screen.findByRole('cell', { name: 'order-history' })).closest('tr')!;
    expect(within(row).getByText('1200')).toBeTruthy();
    expect(within(row).getByText('1m 15s')).toBeTruthy();
    const bar = within(row).getByRole('progressbar', { name: 'Rebuild of order-history' });
    expect(bar.getAttribute('aria-valuenow')).toBe('42');
  });

  it('starts a rebuild and shows why one is refused', async () => {
    const api = fakeApi({
      'GET /api/admin/projections': () => ({ items: [projection()] }),
      'POST /api/admin/projections/{name}/rebuild': () =>
        problem(409, 'Rebuild already running', 'a rebuild of order-history is running already'),
    });
    renderConsole(<ProjectionsPage />);
    fireEvent.click(await screen.findByRole('button', { name: 'Rebuild order-history' }));
    expect(await screen.findByText(/is running already/)).toBeTruthy();
    expect(api.requests.some((r) => r.method === 'POST' && r.url.pathname.endsWith('/rebuild'))).toBe(true);
  });

  it('gives a viewer the figures and the parked events, and no action button', async () => {
    fakeApi({
      'GET /api/admin/projections': () => ({ items: [projection({ state: 'paused' })] }),
      'GET /api/admin/projections/{name}/parked': () =>
        json({
          items: [
            {
              id: 1,
              streamOffset: 77,
              eventIndex: 0,
              messageId: null,
              type: 'payment.charged',
              sagaId: null,
              headers: {},
              body: '{}',
              error: 'payload.amount: expected object',
              parkedAt: '2025-03-01T10:00:00.000Z',
              resolution: null,
              resolvedBy: null,
              resolvedAt: null,
            },
          ],
        }),
    });
    renderConsole(<ProjectionsPage />, { user: viewer });
    fireEvent.click(await screen.findByRole('button', { name: 'Parked events of order-history' }));
    expect(await screen.findByText('payload.amount: expected object')).toBeTruthy();
    expect(screen.queryAllByRole('button', { name: /^(Pause|Resume|Rebuild|Replay|Skip)\b/ })).toEqual([]);
  });

  it('tells a live rebuild from a finished one', () => {
    expect(isRebuilding({ rebuild: rebuild({ state: 'swapping' }) })).toBe(true);
    expect(isRebuilding({ rebuild: rebuild({ state: 'done' }) })).toBe(false);
    expect(isRebuilding({ rebuild: null })).toBe(false);
  });
});
