import { act, fireEvent, screen, waitFor } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { deadLetterDetail, orderCreateBody } from '../test/fixtures.js';
import { fakeApi, problem, renderConsole } from '../test/render.js';
import { EditorView } from '@codemirror/view';
import { EditReplay } from './EditReplay.js';
import { pretty } from './jsonPositions.js';

/** The contract check of the fake API: quantities must be numbers. */
function validate(body: unknown) {
  const items = (body as { items?: { quantity: unknown }[] }).items ?? [];
  const errors = items.flatMap((item, i) =>
    typeof item.quantity === 'number'
      ? []
      : [{ field: `payload.items.${i}.quantity`, message: 'expected number, received string' }],
  );
  return { valid: errors.length === 0, errors };
}

function setup(
  replayAnswer: () => unknown = () =>
    new Response(JSON.stringify({ deadLetterId: 'dl-1', replayMessageId: 'm-2', edited: true }), {
      status: 202,
      headers: { 'content-type': 'application/json' },
    }),
) {
  const api = fakeApi({
    'POST /api/admin/dead-letters/{id}/validate': () =>
      validate((api.requests.at(-1)!.body as { body: unknown }).body),
    'POST /api/admin/dead-letters/{id}/replay': replayAnswer,
  });
  const onReplayed = vi.fn();
  renderConsole(
    <EditReplay
      deadLetter={deadLetterDetail()}
      onReplayed={onReplayed}
      onCancel={() => undefined}
      validateDelayMs={0}
    />,
  );
  const editor = screen.getByRole('textbox', { name: 'Message body (JSON)' });
  const view = EditorView.findFromDOM(editor)!;
  const replayButton = () => screen.getByRole<HTMLButtonElement>('button', { name: 'Replay edited message' });
  const type = (text: string) =>
    act(() => view.dispatch({ changes: { from: 0, to: view.state.doc.length, insert: text } }));
  return { api, onReplayed, editor, view, replayButton, type };
}

const fixed = { ...orderCreateBody, items: [{ sku: 'SKU-001', quantity: 2, unitPriceCents: 1250 }] };

describe('edit and replay', () => {
  it('starts from the original body and shows its contract errors inline; nothing to send yet', async () => {
    const { view, replayButton } = setup();
    expect(view.state.doc.toString()).toBe(pretty(orderCreateBody));
    expect(await screen.findByText('1 contract error')).toBeTruthy();
    expect(screen.getByRole('list', { name: 'Contract errors' }).textContent).toContain(
      'payload.items.0.quantity',
    );
    expect(screen.getByRole('list', { name: 'Contract errors' }).textContent).toContain(
      'expected number, received string',
    );
    expect(screen.getByText('No changes yet: the edit equals the original.')).toBeTruthy();
    expect(replayButton().disabled).toBe(true);
  });

  it('points out a JSON syntax error by line and column without asking the server', async () => {
    const { api, type, replayButton, editor } = setup();
    await screen.findByText('1 contract error');
    const calls = api.requests.length;
    type('{\n  "orderId": "x",\n}');
    expect(await screen.findByText(/^Not valid JSON at line 3, column 1: /)).toBeTruthy();
    expect(editor.getAttribute('aria-invalid')).toBe('true');
    expect(replayButton().disabled).toBe(true);
    await new Promise((r) => setTimeout(r, 20));
    expect(api.requests.length).toBe(calls);
  });

  it('once fixed: the contract passes, the diff shows the change, and replay sends the edited body and reason', async () => {
    const { api, type, replayButton, onReplayed } = setup();
    await screen.findByText('1 contract error');
    type(pretty(fixed));
    expect(await screen.findByText('Matches the order.create contract.')).toBeTruthy();
    expect(screen.getByRole('textbox', { name: 'Edited body' }).textContent).toContain('"quantity": 2,');
    expect(screen.getByRole('textbox', { name: 'Original body' }).textContent).toContain('"quantity": "2",');
    fireEvent.change(screen.getByLabelText('Reason (kept in the audit log)'), {
      target: { value: 'quantity as a number' },
    });
    expect(replayButton().disabled).toBe(false);
    fireEvent.click(replayButton());
    await waitFor(() =>
      expect(onReplayed).toHaveBeenCalledWith({ deadLetterId: 'dl-1', replayMessageId: 'm-2', edited: true }),
    );
    const sent = api.requests.find((r) => r.url.pathname.endsWith('/replay'))!;
    expect(sent.body).toEqual({ body: fixed, reason: 'quantity as a number' });
  });

  it('shows the field errors of a replay the server refuses (422) and clears them on the next edit', async () => {
    const { type, replayButton } = setup(() =>
      problem(422, 'Invalid body', 'The edited body breaks the contract', [
        { field: 'payload.currency', message: 'an ISO 4217 code' },
      ]),
    );
    await screen.findByText('1 contract error');
    type(pretty(fixed));
    await screen.findByText('Matches the order.create contract.');
    fireEvent.click(replayButton());
    expect(await screen.findByText('an ISO 4217 code')).toBeTruthy();
    expect(replayButton().disabled).toBe(true);
    type(pretty({ ...fixed, currency: 'USD' }));
    await screen.findByText('Matches the order.create contract.');
    expect(screen.queryByText('an ISO 4217 code')).toBeNull();
  });

  it('moves the cursor to the value of a field named in an error, and says where it is', async () => {
    const { view } = setup();
    await screen.findByText('1 contract error');
    expect(screen.getByRole('list', { name: 'Contract errors' }).textContent).toContain('line 8, column 19');
    fireEvent.click(screen.getByRole('button', { name: 'payload.items.0.quantity' }));
    const { from, to } = view.state.selection.main;
    expect(view.state.sliceDoc(from, to)).toBe('"2"');
  });
});
