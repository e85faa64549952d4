// Filters kept in the URL's query string, so any view can be shared or bookmarked.

/** One filter: its allowed values (others fall back to the default) and the default, left out of the URL. */
export interface FilterSpec {
  readonly allowed?: readonly string[];
  readonly default?: string;
}

export type FilterSpecs<K extends string> = Readonly<Record<K, FilterSpec>>;
export type FilterValues<K extends string> = Readonly<Record<K, string>>;

/** Reads every filter of `specs` from `params`; a missing or unknown value is the default (or ''). */
export function readFilters<K extends string>(
  params: URLSearchParams,
  specs: FilterSpecs<K>,
): FilterValues<K> {
  const values = {} as Record<K, string>;
  for (const key of Object.keys(specs) as K[]) {
    const spec = specs[key];
    const raw = (params.get(key) ?? '').trim();
    const fallback = spec.default ?? '';
    values[key] = raw === '' || (spec.allowed && !spec.allowed.includes(raw)) ? fallback : raw;
  }
  return values;
}

/**
 * The query string with `changes` applied: empty values and defaults are removed so URLs stay short;
 * parameters that are not filters of `specs` are kept.
 */
export function writeFilters<K extends string>(
  params: URLSearchParams,
  specs: FilterSpecs<K>,
  changes: Partial<Record<K, string>>,
): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const key of Object.keys(changes) as K[]) {
    const value = (changes[key] ?? '').trim();
    const spec = specs[key];
    if (value === '' || value === (spec.default ?? '')) next.delete(key);
    else next.set(key, value);
  }
  next.sort();
  return next;
}

/** Filters that differ from their default, for "n filters" labels and "clear" buttons. */
export function activeFilters<K extends string>(values: FilterValues<K>, specs: FilterSpecs<K>): K[] {
  return (Object.keys(specs) as K[]).filter((key) => values[key] !== (specs[key].default ?? ''));
}

/** Drops empty strings: what remains goes to the API as query parameters. */
export function compact<T extends Record<string, string | number | undefined>>(query: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(query).filter(([, value]) => value !== undefined && value !== ''),
  ) as Partial<T>;
}

/** A `datetime-local` input's value (local time) as an ISO instant, or '' when empty or invalid. */
export function localInputToIso(local: string): string {
  if (!local) return '';
  const date = new Date(local);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString();
}

/** An ISO instant as a `datetime-local` value in the browser's time zone. */
export function isoToLocalInput(iso: string): string {
  if (!iso) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}
