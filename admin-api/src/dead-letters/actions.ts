// Mutating dead-letter routes: validate an edit, replay one, discard one; bulk replay jobs from job-routes.ts.
import { createRoute, z } from '@hono/zod-openapi';
import { deadLetters, sagaInstances } from '@sagaport/db';
import { and, eq, sql } from 'drizzle-orm';
import { routeProblem } from '@sagaport/runtime';
import { recordAudit } from '../audit/record.js';
import type { AdminDeps } from '../env.js';
import { filterText } from '../filters.js';
import { adminRouter, IdParams, jsonBody, jsonResponse, problems } from '../openapi.js';
import { replayJobRoutes } from './job-routes.js';
import { replayPreviewRoutes } from './preview-routes.js';
import { toSummary } from './queries.js';
import { checkReplay, findDeadLetter, replayDeadLetters } from './replay.js';
import { DeadLetterSummarySchema, FieldErrorSchema, ReplayBodySchema } from './schemas.js';

const tags = ['Dead letters'];

const validate = createRoute({
  method: 'post',
  path: '/dead-letters/{id}/validate',
  tags,
  summary: 'Checks an edited body against the message contract (no effect)',
  request: { params: IdParams, body: jsonBody(z.object({ body: z.unknown() })) },
  responses: {
    200: jsonResponse(z.object({ valid: z.boolean(), errors: z.array(FieldErrorSchema) }), 'The verdict'),
    ...problems(401, 403, 404, 422),
  },
});

const replay = createRoute({
  method: 'post',
  path: '/dead-letters/{id}/replay',
  tags,
  summary: 'Replays a dead letter (optionally with an edited body) through the outbox',
  request: { params: IdParams, body: jsonBody(ReplayBodySchema) },
  responses: {
    202: jsonResponse(
      z.object({ deadLetterId: z.uuid(), replayMessageId: z.uuid(), edited: z.boolean() }),
      'Written to the outbox; the relay publishes it with a confirm',
    ),
    ...problems(401, 403, 404, 409, 422),
  },
});

const discard = createRoute({
  method: 'post',
  path: '/dead-letters/{id}/discard',
  tags,
  summary: 'Sets a dead letter aside; it is kept, marked discarded',
  request: { params: IdParams, body: jsonBody(z.object({ reason: filterText(1_000).optional() }).strict()) },
  responses: {
    200: jsonResponse(DeadLetterSummarySchema, 'The discarded dead letter'),
    ...problems(401, 403, 404, 409, 422),
  },
});

const notFound = { title: 'Not found', status: 404, detail: 'No dead letter has this id.' } as const;

export function deadLetterActionRoutes(deps: AdminDeps) {
  // Read lazily: routers are also built without connections, for the OpenAPI document.
  const database = () => deps.database.db;
  const router = adminRouter()
    .openapi(validate, async (c) => {
      const row = await findDeadLetter(database(), c.req.valid('param').id);
      if (!row) return routeProblem(c, notFound);
      const [saga] = row.sagaId
        ? await database().select().from(sagaInstances).where(eq(sagaInstances.id, row.sagaId))
        : [];
      const check = checkReplay({ ...row, status: 'open' }, saga, { payload: c.req.valid('json').body });
      const errors = check.ok ? [] : (check.errors ?? [{ field: 'body', message: check.detail }]);
      return c.json({ valid: check.ok, errors: [...errors] }, 200);
    })
    .openapi(replay, async (c) => {
      const id = c.req.valid('param').id;
      const request = c.req.valid('json');
      const edited = 'body' in request ? { payload: request.body } : undefined;
      const result = await database().transaction(async (tx) => {
        const results = await replayDeadLetters(tx, c.get('actor'), [id], {
          ...(edited ? { body: edited } : {}),
          ...(request.reason ? { reason: request.reason } : {}),
        });
        return results.get(id)!;
      });
      if (result.ok) return c.json(result, 202);
      if (result.detail === `no dead letter ${id}`) return routeProblem(c, notFound);
      return routeProblem(c, {
        title: result.status === 409 ? 'Cannot replay this dead letter' : 'The body breaks its contract',
        status: result.status,
        detail: result.detail,
        ...(result.errors ? { errors: result.errors } : {}),
      });
    })
    .openapi(discard, async (c) => {
      const id = c.req.valid('param').id;
      const { reason } = c.req.valid('json');
      const actor = c.get('actor');
      const row = await database().transaction(async (tx) => {
        const [updated] = await tx
          .update(deadLetters)
          .set({
            status: 'discarded',
            discardedAt: sql`now()`,
            discardedBy: actor.email,
            discardReason: reason ?? null,
          })
          .where(and(eq(deadLetters.id, id), eq(deadLetters.status, 'open')))
          .returning();
        if (updated)
          await recordAudit(
            tx,
            actor,
            'dead-letter.discard',
            { type: 'dead-letter', id },
            { reason: reason ?? null },
          );
        return updated;
      });
      if (row) return c.json(toSummary(row), 200);
      const existing = await findDeadLetter(database(), id);
      if (!existing) return routeProblem(c, notFound);
      return routeProblem(c, {
        title: 'Cannot discard this dead letter',
        status: 409,
        detail: `dead letter ${id} is ${existing.status}; only open dead letters can be discarded`,
      });
    });
  router.route('/', replayPreviewRoutes(deps));
  router.route('/', replayJobRoutes(deps));
  return router;
}
