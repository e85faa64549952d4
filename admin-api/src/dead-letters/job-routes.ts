// Bulk replay job routes: start (validated, bounded per operator), list, one job with a page of its items, cancel.
import { createRoute, z } from '@hono/zod-openapi';
import { routeProblem } from '@sagaport/runtime';
import type { AdminDeps } from '../env.js';
import { adminRouter, cursor, IdParams, jsonBody, jsonResponse, problems } from '../openapi.js';
import {
  cancelReplayJob,
  createReplayJob,
  findReplayJob,
  listReplayJobs,
  replayJobItemsPage,
  toJob,
  type JobRefusal,
} from './jobs.js';
import {
  CreateReplayJobSchema,
  ReplayJobItemsQuerySchema,
  ReplayJobPageSchema,
  ReplayJobSchema,
} from './schemas.js';

const tags = ['Dead letters'];
/** Unknown ids named one by one in a refusal; the count says how many there are in all. */
const NAMED_UNKNOWN_IDS = 100;

const createJob = createRoute({
  method: 'post',
  path: '/replay-jobs',
  tags,
  summary: 'Starts a throttled bulk replay of chosen ids, a group (fingerprint) or a filter',
  description:
    'Every id must name a dead letter (422 lists those that do not). An operator may have a bounded number of queued or running jobs (409 beyond it).',
  request: { body: jsonBody(CreateReplayJobSchema) },
  responses: { 202: jsonResponse(ReplayJobSchema, 'The job, queued'), ...problems(401, 403, 409, 422) },
});

const listJobs = createRoute({
  method: 'get',
  path: '/replay-jobs',
  tags,
  summary: 'Bulk replay jobs, newest first, each with a summary of what it selected',
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
  summary: 'A bulk replay job with its progress and one page of its items (the result of each dead letter)',
  request: { params: IdParams, query: ReplayJobItemsQuerySchema },
  responses: {
    200: jsonResponse(ReplayJobPageSchema, 'The job and a page of its items; `nextCursor` reads on'),
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

const jobNotFound = { title: 'Not found', status: 404, detail: 'No replay job has this id.' } as const;

/** The problem answering a refused job: what is wrong and what to do next. */
function refusalProblem(refusal: JobRefusal, ids: readonly string[] | undefined) {
  switch (refusal.reason) {
    case 'unknown-ids': {
      const named = refusal.unknownIds.slice(0, NAMED_UNKNOWN_IDS);
      return {
        title: 'Unknown dead letters',
        status: 422,
        detail: `${refusal.unknownIds.length} of the ids name no dead letter; remove them (see errors) and send the request again. Nothing was started.`,
        errors: named.map((id) => ({
          field: `ids.${ids?.indexOf(id) ?? 0}`,
          message: `no dead letter ${id}`,
        })),
        unknownIds: named,
        unknownCount: refusal.unknownIds.length,
      };
    }
    case 'nothing-open':
      return {
        title: 'Nothing to replay',
        status: 422,
        detail: 'No open dead letter matches the selection.',
        errors: [{ field: 'ids', message: 'selects no open dead letter' }],
      };
    case 'too-many-open':
      return {
        title: 'Too many open replay jobs',
        status: 409,
        detail: `You already have ${refusal.openJobIds.length} queued or running replay jobs, the most one operator may have (${refusal.limit}). Wait for one to finish, or cancel one (POST /api/admin/replay-jobs/{id}/cancel), then start this one again.`,
        openJobIds: refusal.openJobIds,
      };
  }
}

const badCursor = {
  title: 'Invalid request',
  status: 422,
  detail: 'The cursor is not one this API issued; start again without it.',
  errors: [{ field: 'cursor', message: 'unreadable cursor' }],
};

/** Reads a job items cursor (the last item's position); undefined when it is not one. */
function readSeq(value: string): number | undefined {
  const key = cursor.decode(value);
  const seq = key?.length === 1 ? key[0] : undefined;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? seq : undefined;
}

export function replayJobRoutes(deps: AdminDeps) {
  // Read lazily: routers are also built without connections, for the OpenAPI document.
  const database = () => deps.database.db;
  return adminRouter()
    .openapi(createJob, async (c) => {
      const request = c.req.valid('json');
      const created = await createReplayJob(database(), c.get('actor'), request, {
        defaultRate: deps.settings.replayRatePerSecond,
        openJobLimit: deps.settings.openReplayJobsPerOperator,
      });
      if (!created.ok) return routeProblem(c, refusalProblem(created, request.ids));
      deps.live?.signal({ replayJobs: [created.job.id] });
      return c.json(toJob(created.job), 202);
    })
    .openapi(listJobs, async (c) => {
      const rows = await listReplayJobs(database(), c.req.valid('query').limit);
      return c.json({ items: rows.map(toJob) }, 200);
    })
    .openapi(getJob, async (c) => {
      const { limit, cursor: after, status } = c.req.valid('query');
      const afterSeq = after === undefined ? undefined : readSeq(after);
      if (after !== undefined && afterSeq === undefined) return routeProblem(c, badCursor);
      const job = await findReplayJob(database(), c.req.valid('param').id);
      if (!job) return routeProblem(c, jobNotFound);
      const page = await replayJobItemsPage(database(), job.id, {
        limit,
        ...(afterSeq === undefined ? {} : { afterSeq }),
        ...(status ? { status } : {}),
      });
      const nextCursor = page.nextSeq === undefined ? null : cursor.encode([page.nextSeq]);
      return c.json({ ...toJob(job), items: page.items, nextCursor }, 200);
    })
    .openapi(cancelJob, async (c) => {
      const id = c.req.valid('param').id;
      const job = await cancelReplayJob(database(), c.get('actor'), id);
      if (job) return c.json(toJob(job), 200);
      const existing = await findReplayJob(database(), id);
      if (!existing) return routeProblem(c, jobNotFound);
      return routeProblem(c, {
        title: 'Cannot cancel this job',
        status: 409,
        detail: `job ${id} is already ${existing.status}`,
      });
    });
}
