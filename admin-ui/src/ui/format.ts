// Formatting of times, ages, money, ids and rates for tables and headers.

/** A UTC timestamp as the operator's local date and time, seconds included. */
export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  return date.toLocaleString(undefined, {
    year: 'numeric',
    month: 'short',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  });
}

/** A duration in seconds as the largest one or two units: `45s`, `3m 10s`, `2h 5m`, `3d 4h`. */
export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  if (s < 60) return `${s}s`;
  const units: [number, string][] = [
    [86_400, 'd'],
    [3_600, 'h'],
    [60, 'm'],
    [1, 's'],
  ];
  const index = units.findIndex(([size]) => s >= size);
  const [big, bigName] = units[index]!;
  const [small, smallName] = units[index + 1]!;
  const rest = Math.floor((s % big) / small);
  return rest ? `${Math.floor(s / big)}${bigName} ${rest}${smallName}` : `${Math.floor(s / big)}${bigName}`;
}

/** How long ago `iso` was, e.g. `3m 10s ago`. */
export function formatAgo(iso: string | null | undefined, now = Date.now()): string {
  if (!iso) return '—';
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return iso;
  const seconds = (now - at) / 1000;
  return seconds < 0 ? `in ${formatDuration(-seconds)}` : `${formatDuration(seconds)} ago`;
}

/** Minor units as money, e.g. `12.50 EUR`. */
export function formatMoney(cents: number | null | undefined, currency: string | null | undefined): string {
  if (cents === null || cents === undefined) return '—';
  return `${(cents / 100).toFixed(2)} ${currency ?? ''}`.trim();
}

/** The first block of a uuid, enough to tell rows apart; the full id goes in a title. */
export function shortId(id: string | null | undefined): string {
  if (!id) return '—';
  return id.length > 12 ? id.slice(0, 8) : id;
}

/** Messages per second with one decimal. */
export function formatRate(perSecond: number | null): string {
  if (perSecond === null) return '—';
  return perSecond === 0 ? '0/s' : `${perSecond < 10 ? perSecond.toFixed(1) : Math.round(perSecond)}/s`;
}

/** A ratio 0..1 as a percentage. */
export function formatPercent(ratio: number): string {
  return `${(ratio * 100).toFixed(ratio > 0 && ratio < 0.01 ? 2 : 1)}%`;
}

/** Pretty JSON; anything not serialisable is shown as text. */
export function prettyJson(value: unknown): string {
  if (typeof value === 'string') return value;
  try {
    return JSON.stringify(value, null, 2) ?? String(value);
  } catch {
    return String(value);
  }
}
