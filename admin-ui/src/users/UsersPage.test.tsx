import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import type { User } from '../api/types.js';
import { fakeApi, operator, renderConsole, viewer } from '../test/render.js';
import { UsersPage } from './UsersPage.js';

const ada: User = {
  ...viewer,
  id: '00000000-0000-4000-8000-00000000000a',
  email: 'ada@example.com',
  name: 'Ada',
};

describe('users page', () => {
  it('shows a viewer the users without any action', async () => {
    fakeApi({ 'GET /api/admin/users': () => ({ items: [ada, operator] }) });
    renderConsole(<UsersPage />, { user: viewer });
    expect(await screen.findByText('ada@example.com')).toBeTruthy();
    expect(screen.queryByRole('button', { name: /Disable/ })).toBeNull();
    expect(screen.queryByRole('form', { name: 'Add a user' })).toBeNull();
  });

  it('lets an operator disable another user after confirming, and offers nothing on their own row', async () => {
    let disabledAt: string | null = null;
    const { requests } = fakeApi({
      'GET /api/admin/users': () => ({ items: [{ ...ada, disabledAt }, operator] }),
      'PATCH /api/admin/users/{id}': () => {
        disabledAt = '2026-01-01T00:00:00.000Z';
        return { ...ada, disabledAt };
      },
    });
    renderConsole(<UsersPage />);
    const ownRow = (await screen.findByText(operator.email)).closest('tr')!;
    expect(within(ownRow).queryByRole('button')).toBeNull();
    expect(within(ownRow).getByRole('link', { name: 'Your account' })).toBeTruthy();

    fireEvent.click(screen.getByRole('button', { name: 'Disable ada@example.com' }));
    const dialog = await screen.findByRole('dialog', { name: 'Disable Ada?' });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Disable' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    expect(requests.find((r) => r.method === 'PATCH')).toMatchObject({ body: { disabled: true } });
    expect(await screen.findByText('disabled')).toBeTruthy();
    expect(screen.getByRole('button', { name: 'Enable ada@example.com' })).toBeTruthy();
  });
});
