import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { ErrorBoundary } from './ErrorBoundary.js';

function Broken({ fail }: { fail: { now: boolean } }) {
  if (fail.now) throw new Error('bad shape from the server');
  return <p>fine again</p>;
}

describe('the error boundary', () => {
  it('shows a failing page as an error state and renders it again on retry', () => {
    vi.spyOn(console, 'error').mockImplementation(() => undefined);
    const fail = { now: true };
    render(
      <ErrorBoundary>
        <Broken fail={fail} />
      </ErrorBoundary>,
    );
    expect(screen.getByRole('alert').textContent).toContain('bad shape from the server');
    fail.now = false;
    fireEvent.click(screen.getByRole('button', { name: 'Try again' }));
    expect(screen.getByText('fine again')).toBeTruthy();
  });
});
