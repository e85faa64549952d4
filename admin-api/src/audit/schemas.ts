// Query and response schemas of GET /audit.
import { z } from '@hono/zod-openapi';
import { filterText, timeFilter } from '../filters.js';

/** An optional text filter with its description. */
function textFilter(maxLength: number, description: string) {
  return filterText(maxLength).optional().openapi({ description });
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
