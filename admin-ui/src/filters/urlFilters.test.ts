import { describe, expect, it } from 'vitest';
import {
  activeFilters,
  compact,
  isoToLocalInput,
  localInputToIso,
  readFilters,
  writeFilters,
} from './urlFilters.js';

const specs = {
  view: { allowed: ['groups', 'list'], default: 'groups' },
  status: { allowed: ['open', 'all'], default: 'open' },
  queue: {},
} as const;

describe('filters kept in the URL', () => {
  it('reads every filter, with defaults for missing ones', () => {
    expect(readFilters(new URLSearchParams('queue=order.commands'), specs)).toEqual({
      view: 'groups',
      status: 'open',
      queue: 'order.commands',
    });
  });

  it('falls back to the default for a value the filter does not allow (a hand-edited URL)', () => {
    expect(readFilters(new URLSearchParams('view=pie&status=all'), specs)).toMatchObject({
      view: 'groups',
      status: 'all',
    });
  });

  it('writes changes, dropping defaults and empties so shared URLs stay short, and keeps other parameters', () => {
    const next = writeFilters(new URLSearchParams('queue=a&other=1'), specs, {
      view: 'list',
      status: 'open',
      queue: '',
    });
    expect(next.toString()).toBe('other=1&view=list');
  });

  it('round-trips: what is written reads back the same', () => {
    const values = { view: 'list', status: 'all', queue: 'payment.commands & more' };
    expect(readFilters(writeFilters(new URLSearchParams(), specs, values), specs)).toEqual(values);
  });

  it('sorts parameters, so the same filters always give the same URL', () => {
    const a = writeFilters(new URLSearchParams(), specs, { queue: 'q', view: 'list' }).toString();
    const b = writeFilters(new URLSearchParams(), specs, { view: 'list', queue: 'q' }).toString();
    expect(a).toBe(b);
  });

  it('names the filters that differ from their defaults', () => {
    expect(activeFilters({ view: 'list', status: 'open', queue: 'q' }, specs)).toEqual(['view', 'queue']);
  });

  it('compacts API queries: no empty parameters', () => {
    expect(compact({ a: '', b: 'x', c: undefined, d: 0 })).toEqual({ b: 'x', d: 0 });
  });

  it('converts datetime-local values to instants and back', () => {
    const iso = localInputToIso('2025-03-01T10:30');
    expect(iso).toMatch(/^2025-03-0\dT\d\d:30:00.000Z$/);
    expect(isoToLocalInput(iso)).toBe('2025-03-01T10:30');
    expect(localInputToIso('')).toBe('');
    expect(isoToLocalInput('not a date')).toBe('');
  });
});
