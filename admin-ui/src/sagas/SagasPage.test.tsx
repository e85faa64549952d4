import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { sagaSummary } from '../test/fixtures.js';
import { fakeApi, renderConsole } from '../test/render.js';
import { SagasPage } from './SagasPage.js';

describe('sagas: search and filters in the URL', () => {
  it('sends the URL filters to the API and writes new ones back', async () => {
    const { requests } = fakeApi({
      'GET /api/admin/sagas': () => ({ items: [sagaSummary({ stuck: true })], nextCursor: 'next-page' }),
    });
    renderConsole(<SagasPage />, { url: '/sagas?status=running&stuck=true&q=ada%40example.com' });
    expect(await screen.findByText('stuck')).toBeTruthy();
    const query = () => Object.fromEntries(requests.at(-1)!.url.searchParams);
    expect(query()).toEqual({ status: 'running', stuck: 'true', q: 'ada@example.com' });
    fireEvent.change(screen.getByLabelText('Age'), { target: { value: '900' } });
    expect(window.location.search).toBe(
      '?olderThanSeconds=900&q=ada%40example.com&status=running&stuck=true',
    );
    await waitFor(() => expect(query()).toMatchObject({ olderThanSeconds: '900' }));
  });

  it('ignores values a filter does not allow, and pages on with the cursor', async () => {
    const { requests } = fakeApi({
      'GET /api/admin/sagas': (_req, url) =>
        url.searchParams.get('cursor')
          ? { items: [sagaSummary({ id: 'c2c2c2c2-0000-4000-8000-000000000009' })], nextCursor: null }
          : { items: [sagaSummary()], nextCursor: 'page-2' },
    });
    renderConsole(<SagasPage />, { url: '/sagas?status=exploded' });
    fireEvent.click(await screen.findByRole('button', { name: 'Load more' }));
    expect(await screen.findByText('c2c2c2c2')).toBeTruthy();
    expect(screen.getByText(/2 shown — end of list/)).toBeTruthy();
    expect(Object.fromEntries(requests[0]!.url.searchParams)).toEqual({});
    expect(requests[1]!.url.searchParams.get('cursor')).toBe('page-2');
  });
});
