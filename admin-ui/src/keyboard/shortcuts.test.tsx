import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it } from 'vitest';
import { KeyboardShortcuts } from './KeyboardHelp.js';
import { nextIndex } from './shortcuts.js';

function Page() {
  return (
    <>
      <KeyboardShortcuts />
      <main>
        <input type="search" aria-label="Search" />
        <table>
          <tbody>
            {['a', 'b', 'c'].map((id) => (
              <tr key={id}>
                <td>
                  <a href={`/sagas/${id}`}>{id}</a>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </main>
    </>
  );
}

const press = (key: string, target: Element = document.body) => fireEvent.keyDown(target, { key });

describe('keyboard shortcuts', () => {
  it('j and k move between the rows of the list, stopping at its ends', () => {
    render(<Page />);
    press('j');
    expect(document.activeElement?.textContent).toBe('a');
    press('j');
    press('j');
    press('j');
    expect(document.activeElement?.textContent).toBe('c');
    press('k');
    expect(document.activeElement?.textContent).toBe('b');
  });

  it('/ focuses the search field; keys typed in a field are left alone', () => {
    render(<Page />);
    press('/');
    const search = screen.getByRole('searchbox', { name: 'Search' });
    expect(document.activeElement).toBe(search);
    press('j', search);
    expect(document.activeElement).toBe(search);
  });

  it('? opens the list of keys, and Escape closes it', () => {
    render(<Page />);
    press('?');
    const dialog = screen.getByRole('dialog', { name: 'Keyboard shortcuts' });
    expect(dialog.textContent).toContain('Next row of the list');
    fireEvent.keyDown(dialog, { key: 'Escape' });
    expect(screen.queryByRole('dialog')).toBeNull();
  });

  it('starts from the first or last row', () => {
    expect(nextIndex('j', -1, 3)).toBe(0);
    expect(nextIndex('k', -1, 3)).toBe(2);
    expect(nextIndex('j', 0, 0)).toBe(-1);
  });
});
