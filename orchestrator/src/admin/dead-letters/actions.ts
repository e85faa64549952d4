// Mutating dead-letter routes: validate an edit, replay one, discard one, and bulk replay jobs.
import { createRoute, z } from '@hono/zod-openapi';
import { deadLetters, sagaInstances } from '@sagaport/db';
import { and, eq, sql } from 'drizzle-orm';
import { routeProblem } from '../auth/errors.js';
import { recordAudit } from '../audit/record.js';
import type { AdminDeps } from '../env.js';
import { filterText } from '../filters.js';
import { adminRouter, IdParams, jsonBody, jsonResponse, problems } from '../openapi.js';
import { cancelReplayJob, createReplayJob, listReplayJobs, replayJobDetail, toJob } from './jobs.js';
import { toSummary } from './queries.js';
import { checkReplay, findDeadLetter, replayDeadLetters } from './replay.js';
import {
  CreateReplayJobSchema,
  DeadLetterSummarySchema,
  FieldErrorSchema,
  ReplayBodySchema,
  ReplayJobItemSchema,
  ReplayJobSchema,
} from './schemas.js';

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

const createJob = createRoute({
  method: 'post',
  path: '/replay-jobs',
  tags,
  summary: 'Starts a throttled bulk replay of chosen ids, a group (fingerprint) or a filter',
  request: { body: jsonBody(CreateReplayJobSchema) },
  responses: { 202: jsonResponse(ReplayJobSchema, 'The job, queued'), ...problems(401, 403, 422) },
});

const listJobs = createRoute({
  method: 'get',
  path: '/replay-jobs',
  tags,
  summary: 'Bulk replay jobs, newest first',
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(200).default(20) }) },
  responses: {
    200: jsonResponse(z.object({ items: z.array(ReplayJobSchema) }), 'Jobs'),
    ...problems(401, 422),
  },
});

const getJob = createRoute({
  method: 'get',
  path: '/replay-jobs/{id}',
  tags,
  summary: 'A bulk replay job with its progress and the result of each dead letter',
  request: { params: IdParams },
  responses: {
    200: jsonResponse(ReplayJobSchema.extend({ items: z.array(ReplayJobItemSchema) }), 'The job'),
    ...problems(401, 404, 422),
  },
});

const cancelJob = createRoute({
  method: 'post',
  path: '/replay-jobs/{id}/cancel',
  tags,
  summary: 'Cancels a queued or running job; what was replayed stays replayed',
  request: { params: IdParams },
  responses: {
    200: jsonResponse(ReplayJobSchema, 'The cancelled job'),
    ...problems(401, 403, 404, 409, 422),
  },
});

const notFound = { title: 'Not found', status: 404, detail: 'No dead letter has this id.' } as const;

export function deadLetterActionRoutes(deps: AdminDeps) {
  // Read lazily: routers are also built without connections, for the OpenAPI document.
  const database = () => deps.database.db;
  return adminRouter()
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
    })
    .openapi(createJob, async (c) => {
      const job = await createReplayJob(
        database(),
        c.get('actor'),
        c.req.valid('json'),
        deps.settings.replayRatePerSecond,
      );
      if (!job) {
        return routeProblem(c, {
          title: 'Nothing to replay',
          status: 422,
          detail: 'No open dead letter matches the selection.',
          errors: [{ field: 'ids', message: 'selects no open dead letter' }],
        });
      }
      return c.json(toJob(job), 202);
    })
    .openapi(listJobs, async (c) => {
      const rows = await listReplayJobs(database(), c.req.valid('query').limit);
      return c.json({ items: rows.map(toJob) }, 200);
    })
    .openapi(getJob, async (c) => {
      const job = await replayJobDetail(database(), c.req.valid('param').id);
      if (!job)
        return routeProblem(c, { title: 'Not found', status: 404, detail: 'No replay job has this id.' });
      return c.json(job, 200);
    })
    .openapi(cancelJob, async (c) => {
      const id = c.req.valid('param').id;
      const job = await cancelReplayJob(database(), c.get('actor'), id);
      if (job) return c.json(toJob(job), 200);
      const existing = await replayJobDetail(database(), id);
      if (!existing)
        return routeProblem(c, { title: 'Not found', status: 404, detail: 'No replay job has this id.' });
      return routeProblem(c, {
        title: 'Cannot cancel this job',
        status: 409,
        detail: `job ${id} is already ${existing.status}`,
      });
    });
}
