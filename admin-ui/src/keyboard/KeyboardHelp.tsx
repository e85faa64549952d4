// Listens for the console's shortcuts and shows their list (the ? key, or the header button).
import { useEffect, useState } from 'react';
import { Dialog } from '../ui/Dialog.js';
import { handleShortcut, SHORTCUTS } from './shortcuts.js';

export function KeyboardShortcuts() {
  const [open, setOpen] = useState(false);
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (handleShortcut(event, document, () => setOpen((o) => !o))) event.preventDefault();
    };
    document.addEventListener('keydown', onKey);
    return () => document.removeEventListener('keydown', onKey);
  }, []);
  return (
    <>
      <button
        type="button"
        className="btn btn--ghost btn--small"
        aria-keyshortcuts="?"
        onClick={() => setOpen(true)}
      >
        Keyboard shortcuts
      </button>
      {open ? (
        <Dialog title="Keyboard shortcuts" onClose={() => setOpen(false)}>
          <table className="shortcuts">
            <caption className="sr-only">Keys and what they do</caption>
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Does</th>
              </tr>
            </thead>
            <tbody>
              {SHORTCUTS.map((s) => (
                <tr key={s.keys.join('+')}>
                  <td>
                    {s.keys.map((k) => (
                      <kbd key={k}>{k}</kbd>
                    ))}
                  </td>
                  <td>{s.does}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p className="muted small">Shortcuts are off while you type in a field or an editor.</p>
          <div className="dialog__actions">
            <button type="button" className="btn btn--primary" data-autofocus onClick={() => setOpen(false)}>
              Close
            </button>
          </div>
        </Dialog>
      ) : null}
    </>
  );
}
