// GET /audit: the audit log, newest first, filtered and paged by keyset.
import { createRoute } from '@hono/zod-openapi';
import { auditLog } from '@sagaport/db';
import { and, desc, eq, gte, ilike, lte, sql, type SQL } from 'drizzle-orm';
import type { z } from 'zod';
import { routeProblem } from '@sagaport/runtime';
import type { AdminDeps } from '../env.js';
import { adminRouter, cursor, problems } from '../openapi.js';
import { containsPattern, withinStorableYears } from '../filters.js';
import { AuditPageSchema, AuditQuerySchema } from './schemas.js';

const listRoute = createRoute({
  method: 'get',
  path: '/audit',
  tags: ['audit'],
  summary: 'The audit log, newest first',
  request: { query: AuditQuerySchema },
  responses: {
    200: { description: 'One page of entries', content: { 'application/json': { schema: AuditPageSchema } } },
    ...problems(401, 422),
  },
});

/** The position after the last row of a page: its time to the microsecond, as PostgreSQL prints it, and id. */
interface AuditPosition {
  readonly at: string;
  readonly id: number;
}

const POSITION_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$/;

/** Reads a cursor made by this route; undefined for anything else. */
export function readAuditCursor(value: string): AuditPosition | undefined {
  const key = cursor.decode(value);
  if (key?.length !== 2) return undefined;
  const [at, id] = key;
  if (typeof at !== 'string' || !POSITION_TIME.test(at) || !withinStorableYears(at)) return undefined;
  // Date.parse rolls 30 February over into March; PostgreSQL refuses it. Only real dates round-trip.
  if (new Date(at).toISOString().slice(0, 19) !== at.slice(0, 19)) return undefined;
  if (typeof id !== 'number' || !Number.isSafeInteger(id) || id < 1) return undefined;
  return { at, id };
}

/** The WHERE clause of a page: the filters, then the position after the previous page. */
export function auditConditions(
  query: z.output<typeof AuditQuerySchema>,
  after: AuditPosition | undefined,
): SQL | undefined {
  return and(
    query.actor ? ilike(auditLog.actorEmail, containsPattern(query.actor)) : undefined,
    query.action ? eq(auditLog.action, query.action) : undefined,
    query.targetType ? eq(auditLog.targetType, query.targetType) : undefined,
    query.targetId ? eq(auditLog.targetId, query.targetId) : undefined,
    query.from ? gte(auditLog.at, new Date(query.from)) : undefined,
    query.to ? lte(auditLog.at, new Date(query.to)) : undefined,
    after ? sql`(${auditLog.at}, ${auditLog.id}) < (${after.at}::timestamptz, ${after.id})` : undefined,
  );
}

/** GET /audit (behind the session gate: any signed-in user may read the log). */
export function auditRoutes(deps: AdminDeps) {
  return adminRouter().openapi(listRoute, async (c) => {
    const query = c.req.valid('query');
    const after = query.cursor === undefined ? undefined : readAuditCursor(query.cursor);
    if (query.cursor !== undefined && !after) {
      return routeProblem(c, {
        title: 'Invalid request',
        status: 422,
        detail: 'Some fields are invalid; see errors.',
        errors: [{ field: 'cursor', message: 'not a cursor from this list; start again without it' }],
      });
    }
    const rows = await deps.database.db
      .select({
        id: auditLog.id,
        at: auditLog.at,
        position: sql<string>`to_char(${auditLog.at} at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`,
        actorEmail: auditLog.actorEmail,
        action: auditLog.action,
        targetType: auditLog.targetType,
        targetId: auditLog.targetId,
        detail: auditLog.detail,
      })
      .from(auditLog)
      .where(auditConditions(query, after))
      .orderBy(desc(auditLog.at), desc(auditLog.id))
      .limit(query.limit + 1);
    const page = rows.slice(0, query.limit);
    const last = page.at(-1);
    const nextCursor = rows.length > query.limit && last ? cursor.encode([last.position, last.id]) : null;
    const items = page.map(({ position: _position, at, ...entry }) => ({ ...entry, at: at.toISOString() }));
    return c.json({ items, nextCursor }, 200);
  });
}
