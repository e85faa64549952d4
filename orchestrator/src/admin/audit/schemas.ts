// Query and response schemas of GET /audit.
import { z } from '@hono/zod-openapi';

/** A text filter: bounded, and without NUL, which PostgreSQL cannot store in text and answers with an error. */
export function textFilter(maxLength: number, description: string) {
  return z
    .string()
    .max(maxLength)
    .refine((value) => !value.includes('\u0000'), 'must not contain NUL characters')
    .optional()
    .openapi({ description });
}

/** Earliest and latest instants accepted: PostgreSQL cannot read a year 0 or a five-digit year in ISO form. */
const EARLIEST = Date.parse('0001-01-01T00:00:00Z');
const LATEST = Date.parse('9999-12-31T23:59:59.999Z');

/** True when `value` parses to an instant between years 1 and 9999 (UTC). */
export function withinStorableYears(value: string): boolean {
  const time = Date.parse(value);
  return time >= EARLIEST && time <= LATEST;
}

/** An ISO 8601 time filter with an offset, between years 1 and 9999. */
export function timeFilter(description: string) {
  return z.iso
    .datetime({ offset: true })
    .refine(withinStorableYears, 'must be between the years 1 and 9999 (UTC)')
    .optional()
    .openapi({ description });
}

export const AuditQuerySchema = z
  .object({
    actor: textFilter(320, "Part of the actor's email, case-insensitive"),
    action: textFilter(200, 'Exact action, e.g. `auth.login` or `dead-letter.replayed`'),
    targetType: textFilter(100, 'Exact target type, e.g. `user` or `dead-letter`'),
    targetId: textFilter(200, 'Exact target id'),
    from: timeFilter('Entries at or after this time'),
    to: timeFilter('Entries at or before this time'),
    limit: z.coerce.number().int().min(1).max(200).default(50).openapi({ description: 'Page size (1–200)' }),
    cursor: z.string().max(500).optional().openapi({ description: '`nextCursor` of the previous page' }),
  })
  .refine((q) => !q.from || !q.to || Date.parse(q.from) <= Date.parse(q.to), {
    message: 'must not be after `to`',
    path: ['from'],
  });

export const AuditEntrySchema = z
  .object({
    id: z.number().int(),
    at: z.iso.datetime(),
    actorEmail: z.string(),
    action: z.string(),
    targetType: z.string(),
    targetId: z.string().nullable(),
    detail: z.record(z.string(), z.unknown()).nullable(),
  })
  .openapi('AuditEntry');

export const AuditPageSchema = z
  .object({ items: z.array(AuditEntrySchema), nextCursor: z.string().nullable() })
  .openapi('AuditPage');
