// Keyboard shortcuts of list pages: j/k move between rows, Enter opens, / searches, ? lists the keys.

/** The keys and what they do, for the help overlay. */
export const SHORTCUTS = [
  { keys: ['j'], does: 'Next row of the list' },
  { keys: ['k'], does: 'Previous row of the list' },
  { keys: ['Enter'], does: 'Open the row (its link)' },
  { keys: ['/'], does: 'Search or filter this page' },
  { keys: ['?'], does: 'Show or hide this list of keys' },
  { keys: ['Esc'], does: 'Close a dialog' },
] as const;

/** The link of each row of the page's main list: the first link of every table body row. */
export function rowLinks(root: ParentNode): HTMLElement[] {
  return [...root.querySelectorAll<HTMLElement>('main tbody tr')]
    .map((row) => row.querySelector<HTMLElement>('a[href]'))
    .filter((link): link is HTMLElement => link !== null);
}

/** Whether a key press belongs to a text field (or an editor), not to the page. */
export function typingIn(target: EventTarget | null): boolean {
  if (!(target instanceof HTMLElement)) return false;
  return (
    target.isContentEditable ||
    target.closest('input, textarea, select, [contenteditable="true"], .cm-editor, [role="dialog"]') !== null
  );
}

/** The row link to focus after `key` from `current` (-1: none focused): wraps at neither end. */
export function nextIndex(key: 'j' | 'k', current: number, count: number): number {
  if (count === 0) return -1;
  if (current < 0) return key === 'j' ? 0 : count - 1;
  return key === 'j' ? Math.min(count - 1, current + 1) : Math.max(0, current - 1);
}

/** The page's search field: the first search box of a filter bar. */
export function searchField(root: ParentNode): HTMLElement | null {
  return root.querySelector<HTMLElement>('main input[type="search"], main [role="search"] input');
}

/** Handles one key press; true when it was a shortcut here (the caller then prevents its default). */
export function handleShortcut(event: KeyboardEvent, root: Document, toggleHelp: () => void): boolean {
  if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return false;
  if (typingIn(event.target)) return false;
  if (event.key === '?') {
    toggleHelp();
    return true;
  }
  if (event.key === '/') {
    const field = searchField(root);
    if (!field) return false;
    field.focus();
    return true;
  }
  if (event.key === 'j' || event.key === 'k') {
    const links = rowLinks(root);
    const current = links.findIndex(
      (l) => l === root.activeElement || l.closest('tr')?.contains(root.activeElement),
    );
    const next = links[nextIndex(event.key, current, links.length)];
    if (!next) return false;
    next.focus();
    next.scrollIntoView?.({ block: 'nearest' });
    return true;
  }
  return false;
}
