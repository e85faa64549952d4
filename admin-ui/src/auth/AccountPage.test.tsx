import { fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { SessionInfo } from '../api/types.js';
import { fakeApi, problem, renderConsole, viewer } from '../test/render.js';
import { AccountPage } from './AccountPage.js';

const session = (overrides: Partial<SessionInfo>): SessionInfo => ({
  id: '10000000-0000-4000-8000-000000000001',
  createdAt: '2026-01-01T08:00:00.000Z',
  lastSeenAt: '2026-01-01T09:00:00.000Z',
  expiresAt: '2026-01-01T09:30:00.000Z',
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0 Safari/537.36',
  address: '192.0.2.1',
  current: false,
  ...overrides,
});

function fillPassword(current: string, next: string, repeat = next) {
  fireEvent.change(screen.getByLabelText('Current password'), { target: { value: current } });
  fireEvent.change(screen.getByLabelText('New password'), { target: { value: next } });
  fireEvent.change(screen.getByLabelText('Repeat the new password'), { target: { value: repeat } });
  fireEvent.click(screen.getByRole('button', { name: 'Change password' }));
}

describe('account page', () => {
  it('lists the sessions, marks this browser, and ends another one', async () => {
    let sessions = [session({ current: true }), session({ id: '10000000-0000-4000-8000-000000000002' })];
    const { requests } = fakeApi({
      'GET /api/admin/account/sessions': () => ({ items: sessions }),
      'DELETE /api/admin/account/sessions/{sessionId}': () => {
        sessions = sessions.slice(0, 1);
        return new Response(null, { status: 204 });
      },
    });
    renderConsole(<AccountPage />, { user: viewer });
    expect(await screen.findByText('(this browser)')).toBeTruthy();
    fireEvent.click(
      screen.getByRole('button', { name: 'End the session of Chrome on Linux from 192.0.2.1' }),
    );
    await waitFor(() => expect(screen.getAllByRole('row')).toHaveLength(2));
    expect(requests.find((r) => r.method === 'DELETE')!.url.pathname).toBe(
      '/api/admin/account/sessions/10000000-0000-4000-8000-000000000002',
    );
  });

  it('says when the repeated password differs, without asking the server', async () => {
    const { requests } = fakeApi({ 'GET /api/admin/account/sessions': () => ({ items: [] }) });
    renderConsole(<AccountPage />, { user: viewer });
    fillPassword('old password here', 'a new long password', 'a different password');
    expect(await screen.findByText('Repeat the new password does not match the new password.')).toBeTruthy();
    expect(screen.getByLabelText('Repeat the new password').getAttribute('aria-invalid')).toBe('true');
    expect(requests.some((r) => r.method === 'POST')).toBe(false);
  });

  it("shows the server's verdict on the current password next to that field", async () => {
    fakeApi({
      'GET /api/admin/account/sessions': () => ({ items: [] }),
      'POST /api/admin/account/password': () =>
        problem(422, 'Current password is wrong', 'Type the password you signed in with.', [
          { field: 'currentPassword', message: 'is not your current password' },
        ]),
    });
    renderConsole(<AccountPage />, { user: viewer });
    fillPassword('wrong password', 'a new long password');
    expect(await screen.findByText('Current password is not your current password.')).toBeTruthy();
    expect(screen.getByRole('alert').textContent).toContain('not changed');
  });

  it('confirms a change', async () => {
    fakeApi({
      'GET /api/admin/account/sessions': () => ({ items: [] }),
      'POST /api/admin/account/password': () => new Response(null, { status: 204 }),
    });
    renderConsole(<AccountPage />, { user: viewer });
    fillPassword('old password here', 'a new long password');
    expect(await screen.findByText('Password changed. Your other sessions were signed out.')).toBeTruthy();
  });
});
