// Which cached queries a change from the live stream makes stale.
import type { QueryClient } from '@tanstack/react-query';

interface IdChanges {
  readonly count: number;
  readonly ids: readonly string[];
}

/** A change as GET /api/admin/live sends it (see the API document). */
export interface LiveChange {
  readonly sagas?: IdChanges;
  readonly deadLetters?: IdChanges;
  readonly replayJobs?: IdChanges;
  readonly audit?: { readonly count: number };
  readonly users?: { readonly count: number };
  readonly tokens?: { readonly count: number; readonly owners: readonly string[] };
}

/** Query keys (prefixes) a change makes stale; TanStack Query refetches those on screen. */
export function staleKeys(change: LiveChange): (readonly unknown[])[] {
  const keys: (readonly unknown[])[] = [];
  const each = (prefix: string, c: IdChanges) =>
    c.ids.length < c.count ? [[prefix]] : c.ids.map((id) => [prefix, id]);
  if (change.sagas) keys.push(['saga-stats'], ['sagas'], ...each('saga', change.sagas));
  if (change.deadLetters) {
    keys.push(['dead-letters'], ['dead-letter-groups'], ['dead-letter-facets']);
    keys.push(...each('dead-letter', change.deadLetters), ...each('dead-letter-preview', change.deadLetters));
    // A saga's page lists its dead letters.
    keys.push(['saga']);
  }
  if (change.replayJobs) keys.push(['replay-jobs']);
  if (change.audit) keys.push(['audit']);
  if (change.users) keys.push(['users']);
  if (change.tokens) keys.push(['tokens']);
  return keys;
}

export function applyChange(client: QueryClient, change: LiveChange): void {
  for (const queryKey of staleKeys(change)) void client.invalidateQueries({ queryKey });
}

/** Everything but the session: after a gap in the stream, nothing cached can be trusted. */
export function refetchEverything(client: QueryClient): void {
  void client.invalidateQueries({ predicate: (q) => q.queryKey[0] !== 'session' });
}
