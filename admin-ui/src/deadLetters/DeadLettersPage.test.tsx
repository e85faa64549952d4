import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { deadLetterGroup, deadLetterSummary } from '../test/fixtures.js';
import { fakeApi, renderConsole, viewer } from '../test/render.js';
import { DeadLettersPage } from './DeadLettersPage.js';

const facets = {
  queues: ['order.commands', 'payment.commands'],
  messageTypes: ['order.create'],
  errorClasses: ['permanent'],
};

function api() {
  return fakeApi({
    'GET /api/admin/dead-letters/facets': () => facets,
    'GET /api/admin/dead-letters/groups': () => ({ items: [deadLetterGroup()] }),
    'GET /api/admin/dead-letters': () => ({
      items: [deadLetterSummary(), deadLetterSummary({ id: 'dl-2', status: 'replayed' })],
      nextCursor: null,
    }),
  });
}

const lastQuery = (requests: ReturnType<typeof api>['requests'], path: string) =>
  Object.fromEntries(requests.filter((r) => r.url.pathname === path).at(-1)!.url.searchParams);

describe('dead letters: filters and the URL', () => {
  it('takes its filters from a shared URL: the form shows them and the API gets them', async () => {
    const { requests } = api();
    renderConsole(<DeadLettersPage />, {
      url: '/dead-letters?view=list&queue=order.commands&q=boom&status=all',
    });
    expect(await screen.findAllByRole('link', { name: 'order.create' })).toHaveLength(2);
    expect(lastQuery(requests, '/api/admin/dead-letters')).toEqual({ queue: 'order.commands', q: 'boom' });
    expect(screen.getByLabelText<HTMLInputElement>('Search').value).toBe('boom');
    expect(screen.getByLabelText<HTMLSelectElement>('Queue').value).toBe('order.commands');
    expect(screen.getByLabelText<HTMLSelectElement>('Status').value).toBe('all');
    expect(screen.getByRole('button', { name: 'All dead letters' }).getAttribute('aria-pressed')).toBe(
      'true',
    );
  });

  it('writes a chosen filter into the URL at once and asks the API again', async () => {
    const { requests } = api();
    renderConsole(<DeadLettersPage />, { url: '/dead-letters' });
    await screen.findByText('payload of order.create breaks its contract');
    expect(lastQuery(requests, '/api/admin/dead-letters/groups')).toEqual({ status: 'open' });
    fireEvent.change(screen.getByLabelText('Queue'), { target: { value: 'payment.commands' } });
    expect(window.location.search).toBe('?queue=payment.commands');
    await waitFor(() =>
      expect(lastQuery(requests, '/api/admin/dead-letters/groups')).toEqual({
        status: 'open',
        queue: 'payment.commands',
      }),
    );
  });

  it('applies typed text on submit, not on every key, and clears every filter in one go', async () => {
    api();
    renderConsole(<DeadLettersPage />, { url: '/dead-letters?view=list' });
    const search = await screen.findByLabelText('Search');
    fireEvent.change(search, { target: { value: 'quantity' } });
    expect(window.location.search).toBe('?view=list');
    fireEvent.submit(screen.getByRole('search', { name: 'Filter dead letters' }));
    expect(window.location.search).toBe('?q=quantity&view=list');
    fireEvent.change(screen.getByLabelText('Status'), { target: { value: 'discarded' } });
    expect(window.location.search).toBe('?q=quantity&status=discarded&view=list');
    fireEvent.click(screen.getByRole('button', { name: 'Clear (2)' }));
    expect(window.location.search).toBe('?view=list');
  });

  it('links a group to the list view filtered by its fingerprint, keeping the other filters', async () => {
    api();
    renderConsole(<DeadLettersPage />, { url: '/dead-letters?queue=order.commands' });
    const show = await screen.findByRole('link', { name: 'Show 3' });
    expect(show.getAttribute('href')).toBe(
      '/dead-letters?fingerprint=f00dfeedcafe0001&queue=order.commands&view=list',
    );
    fireEvent.click(show);
    expect(window.location.search).toBe('?fingerprint=f00dfeedcafe0001&queue=order.commands&view=list');
    expect(await screen.findByText('f00dfeedcafe0001', { selector: '.chip code' })).toBeTruthy();
  });

  it('follows the browser back button to the previous filters', async () => {
    api();
    renderConsole(<DeadLettersPage />, { url: '/dead-letters' });
    fireEvent.click(await screen.findByRole('link', { name: 'Show 3' }));
    expect(screen.getByRole('button', { name: 'All dead letters' }).getAttribute('aria-pressed')).toBe(
      'true',
    );
    window.history.back();
    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Grouped by cause' }).getAttribute('aria-pressed')).toBe(
        'true',
      ),
    );
  });
});

describe('dead letters: who may replay', () => {
  it('gives an operator group replay and a selection for bulk replay', async () => {
    api();
    renderConsole(<DeadLettersPage />, { url: '/dead-letters' });
    expect(await screen.findByRole('button', { name: 'Replay group' })).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'All dead letters' }));
    const open = await screen.findByRole('checkbox', { name: 'Select dead letter dl-1' });
    expect(screen.getByRole<HTMLInputElement>('checkbox', { name: 'Select dead letter dl-2' }).disabled).toBe(
      true,
    );
    fireEvent.click(open);
    expect(screen.getByRole('button', { name: 'Replay selected (1)' })).toBeTruthy();
  });

  it('shows a viewer no replay control at all', async () => {
    api();
    renderConsole(<DeadLettersPage />, { url: '/dead-letters', user: viewer });
    await screen.findByText('payload of order.create breaks its contract');
    expect(screen.queryByRole('button', { name: /replay/i })).toBeNull();
    fireEvent.click(screen.getByRole('button', { name: 'All dead letters' }));
    const table = await screen.findByRole('table');
    expect(within(table).queryByRole('checkbox')).toBeNull();
    expect(screen.queryByRole('button', { name: /replay/i })).toBeNull();
  });

  it('says so when nothing matches, and shows API errors', async () => {
    fakeApi({
      'GET /api/admin/dead-letters/facets': () => facets,
      'GET /api/admin/dead-letters/groups': () => ({ items: [] }),
    });
    renderConsole(<DeadLettersPage />, { url: '/dead-letters' });
    expect(await screen.findByText('No dead letters match these filters')).toBeTruthy();
    fireEvent.click(screen.getByRole('button', { name: 'All dead letters' }));
    expect((await screen.findByRole('alert')).textContent).toContain('Not found (404)');
  });
});
