import { QueryClientProvider } from '@tanstack/react-query';
import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { App } from './App.js';
import { createQueryClient } from './queryClient.js';
import { RouterProvider } from './router/router.js';
import { sagaSummary } from './test/fixtures.js';
import { fakeApi, json, operator, problem, viewer } from './test/render.js';
import type { User } from './api/types.js';

function renderApp(url: string) {
  window.history.replaceState(null, '', url);
  render(
    <QueryClientProvider client={createQueryClient()}>
      <RouterProvider>
        <App />
      </RouterProvider>
    </QueryClientProvider>,
  );
}

const sagaView = {
  saga: { ...sagaSummary(), version: 3, state: { completed: [] } },
  timeline: [
    {
      at: '2025-03-01T10:00:00.000Z',
      kind: 'saga.started',
      source: 'saga',
      messageType: null,
      messageId: null,
      detail: null,
    },
    {
      at: '2025-03-01T10:00:00.100Z',
      kind: 'command.sent',
      source: 'saga',
      messageType: 'order.create',
      messageId: 'm-1',
      detail: { orderId: 'o-1' },
    },
  ],
  deadLetters: [],
};

function signedInAs(user: User) {
  return fakeApi({
    'GET /api/admin/auth/me': () => ({ user, csrfToken: 't' }),
    'GET /api/admin/sagas/{id}': () => sagaView,
    'POST /api/admin/auth/logout': () => new Response(null, { status: 204 }),
  });
}

describe('signing in', () => {
  it('sends a signed-out visitor to the login page and back to the deep link afterwards', async () => {
    let signedIn = false;
    const api = fakeApi({
      'GET /api/admin/auth/me': () =>
        signedIn ? { user: operator, csrfToken: 't' } : problem(401, 'Not signed in'),
      'POST /api/admin/auth/login': () => {
        signedIn = true;
        return json({ user: operator, csrfToken: 't' });
      },
      'GET /api/admin/sagas/{id}': () => sagaView,
    });
    renderApp('/sagas/b1b2c3d4?tab=x');
    await screen.findByRole('heading', { name: 'Sign in to the console' });
    expect(window.location.pathname + window.location.search).toBe(
      `/login?next=${encodeURIComponent('/sagas/b1b2c3d4?tab=x')}`,
    );
    fireEvent.change(screen.getByLabelText('Email'), { target: { value: 'ops@example.com' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'correct horse battery' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect(await screen.findByRole('list', { name: 'Saga timeline' })).toBeTruthy();
    expect(window.location.pathname).toBe('/sagas/b1b2c3d4');
    expect(api.requests.find((r) => r.url.pathname === '/api/admin/auth/login')!.body).toEqual({
      email: 'ops@example.com',
      password: 'correct horse battery',
    });
  });

  it('says why a login failed', async () => {
    fakeApi({
      'GET /api/admin/auth/me': () => problem(401, 'Not signed in'),
      'POST /api/admin/auth/login': () =>
        new Response(JSON.stringify({ title: 'Too many attempts', status: 429 }), {
          status: 429,
          headers: { 'retry-after': '60' },
        }),
    });
    renderApp('/login');
    fireEvent.change(await screen.findByLabelText('Email'), { target: { value: 'a@b.c' } });
    fireEvent.change(screen.getByLabelText('Password'), { target: { value: 'x' } });
    fireEvent.click(screen.getByRole('button', { name: 'Sign in' }));
    expect((await screen.findByRole('alert')).textContent).toBe(
      'Too many attempts. Try again in 60 seconds.',
    );
  });

  it('returns to the login page when the session expires (any 401)', async () => {
    let expired = false;
    fakeApi({
      'GET /api/admin/auth/me': () =>
        expired ? problem(401, 'Not signed in') : { user: operator, csrfToken: 't' },
      'GET /api/admin/sagas/{id}': () => (expired ? problem(401, 'Not signed in') : sagaView),
      'GET /api/admin/sagas': () => problem(401, 'Not signed in'),
    });
    renderApp('/sagas/b1b2c3d4');
    await screen.findByRole('list', { name: 'Saga timeline' });
    expired = true;
    fireEvent.click(
      within(screen.getByRole('navigation', { name: 'Sections' })).getByRole('link', { name: 'Sagas' }),
    );
    await screen.findByRole('heading', { name: 'Sign in to the console' });
    expect(window.location.pathname).toBe('/login');
  });
});

describe('roles', () => {
  it('shows an operator the saga actions and the timeline with payloads', async () => {
    signedInAs(operator);
    renderApp('/sagas/b1b2c3d4');
    expect(await screen.findByRole('button', { name: 'Retry step' })).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Compensate' })).toBeTruthy();
    expect(screen.getByText('Command sent')).toBeTruthy();
    expect(screen.getByText('Payload')).toBeTruthy();
    expect(document.title).toBe('Saga · Sagaport');
  });

  it('shows a viewer the same saga without any mutation control', async () => {
    signedInAs(viewer);
    renderApp('/sagas/b1b2c3d4');
    await screen.findByRole('list', { name: 'Saga timeline' });
    expect(screen.queryByRole('button', { name: 'Retry step' })).toBeNull();
    expect(screen.queryByRole('button', { name: 'Compensate' })).toBeNull();
    expect(screen.getByText('viewer')).toBeTruthy();
  });

  it('signs out', async () => {
    signedInAs(viewer);
    renderApp('/sagas/b1b2c3d4');
    fireEvent.click(await screen.findByRole('button', { name: 'Sign out' }));
    await waitFor(() => expect(window.location.pathname).toBe('/login'));
  });
});

describe('navigation', () => {
  it('marks the current section and shows a not-found page for unknown paths', async () => {
    signedInAs(operator);
    renderApp('/nowhere');
    expect(await screen.findByText('No such page')).toBeTruthy();
    fireEvent.click(screen.getByRole('link', { name: 'Go to the overview' }));
    expect(window.location.pathname).toBe('/');
    expect(screen.getByRole('link', { name: 'Overview' }).getAttribute('aria-current')).toBe('page');
  });
});
