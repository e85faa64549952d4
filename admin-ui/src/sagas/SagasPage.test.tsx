import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { sagaSummary } from '../test/fixtures.js';
import { fakeApi, renderConsole } from '../test/render.js';
import { SagasPage } from './SagasPage.js';

const definitions = [
  {
    name: 'checkout',
    steps: [
      { name: 'createOrder', command: 'order.create', compensation: 'order.cancel' },
      { name: 'confirmOrder', command: 'order.confirm', compensation: null },
    ],
    keys: ['orderId'],
  },
  {
    name: 'order-cancellation',
    steps: [{ name: 'withdrawShipment', command: 'shipping.withdraw', compensation: 'shipping.reinstate' }],
    keys: ['orderId'],
  },
];

describe('sagas: search and filters in the URL', () => {
  it('sends the URL filters to the API and writes new ones back', async () => {
    const { requests: all } = fakeApi({
      'GET /api/admin/sagas': () => ({ items: [sagaSummary({ stuck: true })], nextCursor: 'next-page' }),
      'GET /api/admin/sagas/definitions': () => definitions,
    });
    const requests = { at: (i: number) => all.filter((r) => r.url.pathname === '/api/admin/sagas').at(i) };
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

  it('offers the registered saga types, and only the chosen type’s steps', async () => {
    const { requests } = fakeApi({
      'GET /api/admin/sagas': () => ({
        items: [sagaSummary({ type: 'order-cancellation' })],
        nextCursor: null,
      }),
      'GET /api/admin/sagas/definitions': () => definitions,
    });
    renderConsole(<SagasPage />, { url: '/sagas' });
    expect(await screen.findByRole('option', { name: 'order-cancellation' })).toBeTruthy();
    expect(screen.getByRole('option', { name: 'createOrder (order.create)' })).toBeTruthy();
    fireEvent.change(screen.getByLabelText('Type'), { target: { value: 'order-cancellation' } });
    await waitFor(() =>
      expect(screen.queryByRole('option', { name: 'createOrder (order.create)' })).toBeNull(),
    );
    expect(screen.getByRole('option', { name: 'withdrawShipment (shipping.withdraw)' })).toBeTruthy();
    await waitFor(() => expect(requests.at(-1)!.url.searchParams.get('type')).toBe('order-cancellation'));
    expect(screen.getAllByRole('cell', { name: 'order-cancellation' })).toHaveLength(1);
  });

  it('ignores values a filter does not allow, and pages on with the cursor', async () => {
    const { requests: all } = fakeApi({
      'GET /api/admin/sagas': (_req, url) =>
        url.searchParams.get('cursor')
          ? { items: [sagaSummary({ id: 'c2c2c2c2-0000-4000-8000-000000000009' })], nextCursor: null }
          : { items: [sagaSummary()], nextCursor: 'page-2' },
    });
    const requests = () => all.filter((r) => r.url.pathname === '/api/admin/sagas');
    renderConsole(<SagasPage />, { url: '/sagas?status=exploded' });
    fireEvent.click(await screen.findByRole('button', { name: 'Load more' }));
    expect(await screen.findByText('c2c2c2c2')).toBeTruthy();
    expect(screen.getByText(/2 shown — end of list/)).toBeTruthy();
    expect(Object.fromEntries(requests()[0]!.url.searchParams)).toEqual({});
    expect(requests()[1]!.url.searchParams.get('cursor')).toBe('page-2');
  });
});
