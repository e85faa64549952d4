// What changed, in a few bytes: the console's live updates carry kinds, counts and some ids, never data.
import type { AdminRole } from '@sagaport/db';

/** What one code path reports: ids that changed (or, for audit rows, how many were written). */
export interface LiveSignal {
  readonly sagas?: readonly string[];
  readonly deadLetters?: readonly string[];
  readonly replayJobs?: readonly string[];
  /** Audit rows written. */
  readonly audit?: number;
  /** The user list changed (operators only may read it). */
  readonly users?: boolean;
  /** API tokens of these owners changed. */
  readonly tokens?: readonly string[];
}

/** Changes of one kind: how many, and up to a cap which (`ids.length < count`: more than listed). */
export interface IdChanges {
  readonly count: number;
  readonly ids: readonly string[];
}

/** One coalesced change, as sent over NOTIFY and the event stream (a kind is absent when nothing changed). */
export interface Change {
  readonly sagas?: IdChanges;
  readonly deadLetters?: IdChanges;
  readonly replayJobs?: IdChanges;
  readonly audit?: { readonly count: number };
  readonly users?: { readonly count: number };
  readonly tokens?: { readonly count: number; readonly owners: readonly string[] };
}

/**
 * Ids listed per kind: 140 uuids of 39 bytes each keep a change under 6 KB, well inside
 * PostgreSQL's 8,000-byte NOTIFY payload.
 */
export const ID_CAPS = { sagas: 60, deadLetters: 40, replayJobs: 20, tokens: 20 } as const;

type IdKind = 'sagas' | 'deadLetters' | 'replayJobs' | 'tokens';

/** Collects signals over a window into one {@link Change}. */
export class ChangeAccumulator {
  private readonly ids: Record<IdKind, Set<string>> = {
    sagas: new Set(),
    deadLetters: new Set(),
    replayJobs: new Set(),
    tokens: new Set(),
  };
  /** Distinct ids seen beyond the cap are counted, not kept. */
  private readonly overflow: Record<IdKind, number> = { sagas: 0, deadLetters: 0, replayJobs: 0, tokens: 0 };
  private audit = 0;
  private users = 0;
  private any = false;

  add(signal: LiveSignal): void {
    for (const kind of ['sagas', 'deadLetters', 'replayJobs', 'tokens'] as const) {
      for (const id of signal[kind] ?? []) {
        this.any = true;
        const set = this.ids[kind];
        if (set.has(id)) continue;
        if (set.size < ID_CAPS[kind]) set.add(id);
        else this.overflow[kind] += 1;
      }
    }
    if (signal.audit) {
      this.audit += signal.audit;
      this.any = true;
    }
    if (signal.users) {
      this.users += 1;
      this.any = true;
    }
  }

  get empty(): boolean {
    return !this.any;
  }

  /** The change collected so far. */
  take(): Change {
    const of = (kind: IdKind) =>
      this.ids[kind].size === 0
        ? undefined
        : { count: this.ids[kind].size + this.overflow[kind], ids: [...this.ids[kind]] };
    const tokens = of('tokens');
    return {
      ...optional('sagas', of('sagas')),
      ...optional('deadLetters', of('deadLetters')),
      ...optional('replayJobs', of('replayJobs')),
      ...(this.audit > 0 ? { audit: { count: this.audit } } : {}),
      ...(this.users > 0 ? { users: { count: this.users } } : {}),
      ...(tokens ? { tokens: { count: tokens.count, owners: tokens.ids } } : {}),
    };
  }
}

function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}

/**
 * The change as `actor` may see it: operators everything; viewers neither the user list (which
 * they may not read) nor other people's API tokens. Undefined when nothing is left to send.
 */
export function changeForActor(
  change: Change,
  actor: { readonly id: string; readonly role: AdminRole },
): Change | undefined {
  if (actor.role === 'operator') return change;
  const { users: _users, tokens, ...rest } = change;
  const own = tokens?.owners.includes(actor.id) ? { tokens: { count: 1, owners: [actor.id] } } : {};
  const visible = { ...rest, ...own };
  return Object.keys(visible).length === 0 ? undefined : visible;
}

/** Reads a NOTIFY payload back; undefined when it is not one of ours. */
export function parseChange(payload: string): { origin: string; change: Change } | undefined {
  try {
    const parsed = JSON.parse(payload) as { o?: unknown; c?: unknown };
    if (typeof parsed.o !== 'string' || typeof parsed.c !== 'object' || parsed.c === null) return undefined;
    return { origin: parsed.o, change: parsed.c };
  } catch {
    return undefined;
  }
}
