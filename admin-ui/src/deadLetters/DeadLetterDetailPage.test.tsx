import { fireEvent, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { deadLetterDetail } from '../test/fixtures.js';
import { fakeApi, renderConsole, viewer } from '../test/render.js';
import { DeadLetterDetailPage } from './DeadLetterDetailPage.js';

function api(detail = deadLetterDetail()) {
  return fakeApi({
    'GET /api/admin/dead-letters/{id}': () => detail,
    'POST /api/admin/dead-letters/{id}/discard': () => ({ ...detail, status: 'discarded' }),
    'POST /api/admin/dead-letters/{id}/validate': () => ({ valid: true, errors: [] }),
  });
}

describe('a dead letter in detail', () => {
  it('shows the error, stack, body, headers, x-death history and the linked saga', async () => {
    api(
      deadLetterDetail({
        deathHistory: [
          {
            queue: 'order.commands',
            reason: 'delivery_limit',
            count: 5,
            exchange: 'sagaport.commands',
            'routing-keys': ['order.create'],
            time: 1740823200,
          },
        ],
      }),
    );
    renderConsole(<DeadLetterDetailPage id="dl-1" />);
    expect(await screen.findByRole('heading', { name: /order\.create/ })).toBeTruthy();
    expect(screen.getByLabelText('Stack trace').textContent).toContain('at parseInbound');
    expect(screen.getByLabelText('Message body').textContent).toContain('"quantity": "2"');
    expect(screen.getByLabelText('Message headers').textContent).toContain('x-error-class');
    expect(screen.getByRole('table', { name: 'x-death history' }).textContent).toContain('delivery_limit');
    expect(
      screen.getByRole('link', { name: 'b1b2c3d4-0000-4000-8000-000000000002' }).getAttribute('href'),
    ).toBe('/sagas/b1b2c3d4-0000-4000-8000-000000000002');
  });

  it('asks before discarding and sends the reason', async () => {
    const { requests } = api();
    renderConsole(<DeadLetterDetailPage id="dl-1" />);
    fireEvent.click(await screen.findByRole('button', { name: 'Discard' }));
    const dialog = screen.getByRole('dialog', { name: 'Discard this dead letter?' });
    expect(requests.some((r) => r.method === 'POST')).toBe(false);
    expect(document.activeElement).toBe(screen.getByLabelText('Reason (kept in the audit log)'));
    fireEvent.change(screen.getByLabelText('Reason (kept in the audit log)'), {
      target: { value: 'test order' },
    });
    fireEvent.click(within(dialog).getByRole('button', { name: 'Discard' }));
    await waitFor(() =>
      expect(requests.find((r) => r.url.pathname.endsWith('/discard'))?.body).toEqual({
        reason: 'test order',
      }),
    );
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
  });

  it('closes the confirmation on Escape without doing anything', async () => {
    const { requests } = api();
    renderConsole(<DeadLetterDetailPage id="dl-1" />);
    fireEvent.click(await screen.findByRole('button', { name: 'Replay' }));
    fireEvent.keyDown(screen.getByRole('dialog'), { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(requests.some((r) => r.method === 'POST')).toBe(false);
  });

  it('opens the editor on "Edit and replay"', async () => {
    api();
    renderConsole(<DeadLetterDetailPage id="dl-1" />);
    fireEvent.click(await screen.findByRole('button', { name: 'Edit and replay' }));
    expect(screen.getByLabelText('Message body (JSON)')).toBeTruthy();
  });

  it('says why the original cannot be replayed, and still offers to edit it', async () => {
    api(
      deadLetterDetail({
        replayable: { ok: false, reason: 'the original body breaks the order.create contract' },
      }),
    );
    renderConsole(<DeadLetterDetailPage id="dl-1" />);
    expect(
      await screen.findByText('Cannot replay as is: the original body breaks the order.create contract'),
    ).toBeTruthy();
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Replay' }).disabled).toBe(true);
    expect(screen.getByRole<HTMLButtonElement>('button', { name: 'Edit and replay' }).disabled).toBe(false);
  });

  it('offers nothing but the record once a dead letter is no longer open', async () => {
    api(deadLetterDetail({ status: 'replayed', replayable: { ok: false, reason: 'already replayed' } }));
    renderConsole(<DeadLetterDetailPage id="dl-1" />);
    await screen.findByLabelText('Message body');
    for (const name of ['Replay', 'Edit and replay', 'Discard']) {
      expect(screen.getByRole<HTMLButtonElement>('button', { name }).disabled).toBe(true);
    }
  });

  it('gives a viewer no replay, edit or discard control', async () => {
    api();
    renderConsole(<DeadLetterDetailPage id="dl-1" />, { user: viewer });
    await screen.findByLabelText('Message body');
    for (const name of ['Replay', 'Edit and replay', 'Discard'])
      expect(screen.queryByRole('button', { name })).toBeNull();
  });
});
