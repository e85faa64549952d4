// Query filters every admin router shares: bounded NUL-free text, storable times, literal LIKE patterns.
import { z } from '@hono/zod-openapi';

/** Text a filter accepts: bounded, and without NUL, which PostgreSQL cannot store or compare. */
export const filterText = (max: number) =>
  z
    .string()
    .max(max)
    .refine((value) => !value.includes('\u0000'), 'must not contain NUL characters');

/** Earliest and latest instants accepted: PostgreSQL cannot read a year 0 or a five-digit year in ISO form. */
const EARLIEST = Date.parse('0001-01-01T00:00:00Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/** True when `value` parses to an instant between years 1 and 9999 (UTC). */
export function withinStorableYears(value: string): boolean {
  const time = Date.parse(value);
  return time >= EARLIEST && time <= LATEST;
}

/** An optional ISO 8601 time filter with an offset, between years 1 and 9999. */
export function timeFilter(description: string) {
  return z.iso
    .datetime({ offset: true })
    .refine(withinStorableYears, 'must be between the years 1 and 9999 (UTC)')
    .optional()
    .openapi({ description });
}

/** `%`, `_` and `\` match literally once escaped (backslash is LIKE's default escape character). */
export function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (c) => `\\${c}`);
}

/** LIKE pattern matching `text` anywhere, its own `%`, `_` and `\` taken literally. */
export function containsPattern(text: string): string {
  return `%${escapeLike(text)}%`;
}
