// The sagas API: list and search, stats, one saga with its timeline, and the operator actions.
import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import type { AdminDeps, AdminEnv } from '../env.js';
import { keyNames, OperatorAction, type SagaCatalog } from '../orchestration.js';
import { routeProblem } from '@sagaport/runtime';
import { adminRouter, jsonResponse, problems } from '../openapi.js';
import { runOperatorAction } from './actions.js';
import { sagaDeadLetters } from './dead-letters.js';
import { listSagas, readCursor } from './list.js';
import { loadSagaDetail } from './query.js';
import {
  sagaDefinitions,
  SagaDefinitionSchema,
  SagaDetailResponseSchema,
  SagaDetailSchema,
  SagaIdParamSchema,
  sagaListQuerySchema,
  SagaPageSchema,
  SagaStatsSchema,
} from './schemas.js';
import { sagaStats } from './stats.js';
import { loadTimeline } from './timeline.js';

const listRoute = (catalog: SagaCatalog) =>
  createRoute({
    method: 'get',
    path: '/sagas',
    tags: ['sagas'],
    summary: 'Sagas matching the filters, newest first',
    request: { query: sagaListQuerySchema(catalog) },
    responses: { 200: jsonResponse(SagaPageSchema, 'One page of sagas'), ...problems(401, 422) },
  });

const statsRoute = createRoute({
  method: 'get',
  path: '/sagas/stats',
  tags: ['sagas'],
  summary: 'Sagas per status, stuck sagas, and the last hour in five-minute buckets',
  responses: { 200: jsonResponse(SagaStatsSchema, 'The numbers'), ...problems(401) },
});

const definitionsRoute = createRoute({
  method: 'get',
  path: '/sagas/definitions',
  tags: ['sagas'],
  summary: 'The registered saga definitions: each saga type, its steps in order and its business keys',
  responses: {
    200: jsonResponse(z.array(SagaDefinitionSchema), 'Every registered definition'),
    ...problems(401),
  },
});

const detailRoute = createRoute({
  method: 'get',
  path: '/sagas/{id}',
  tags: ['sagas'],
  summary: 'One saga, its timeline and its dead letters',
  request: { params: SagaIdParamSchema },
  responses: { 200: jsonResponse(SagaDetailResponseSchema, 'The saga'), ...problems(401, 404, 422) },
});

const actionRoute = (action: OperatorAction, summary: string) =>
  createRoute({
    method: 'post',
    path: `/sagas/{id}/${action}`,
    tags: ['sagas'],
    summary,
    request: { params: SagaIdParamSchema },
    responses: {
      200: jsonResponse(SagaDetailSchema, 'The saga after the action'),
      ...problems(401, 403, 404, 409, 422),
    },
  });

const notFound = (c: Context, id: string) =>
  routeProblem(c, { title: 'Not found', status: 404, detail: `There is no saga ${id}.` });

/** POST /sagas/{id}/<action>: 200 with the saga after it, 409 when it does not apply. */
function actionHandler(deps: AdminDeps, action: OperatorAction) {
  return async (c: Context<AdminEnv>, id: string) => {
    const outcome = await runOperatorAction(deps, id, action, c.get('actor'));
    if (outcome.kind === 'not-found') return notFound(c, id);
    if (outcome.kind === 'not-applicable') {
      return routeProblem(c, {
        title: action === OperatorAction.retryStep ? 'Nothing to retry' : 'Cannot compensate',
        status: 409,
        detail: `Saga ${id}: ${outcome.reason}.`,
      });
    }
    return c.json(outcome.saga, 200);
  };
}

/** GET /sagas, /sagas/stats, /sagas/definitions, /sagas/{id}; POST /sagas/{id}/retry-step and /sagas/{id}/compensate. */
export function sagaRoutes(deps: AdminDeps) {
  // Handlers read the dependencies; building the router reads only the saga catalog (the OpenAPI
  // CLI passes nothing else).
  const db = () => deps.database.db;
  const catalog = deps.sagas;
  const searchKeys = keyNames(catalog);
  const retry = actionHandler(deps, OperatorAction.retryStep);
  const compensate = actionHandler(deps, OperatorAction.compensate);
  return adminRouter()
    .openapi(listRoute(catalog), async (c) => {
      const query = c.req.valid('query');
      const after = query.cursor === undefined ? undefined : readCursor(query.cursor);
      if (query.cursor !== undefined && !after) {
        return routeProblem(c, {
          title: 'Invalid request',
          status: 422,
          detail: 'The cursor is not one this API returned; list again without it.',
          errors: [{ field: 'cursor', message: 'unreadable cursor' }],
        });
      }
      return c.json(await listSagas(db(), query, after, searchKeys), 200);
    })
    .openapi(statsRoute, async (c) => c.json(await sagaStats(db()), 200))
    .openapi(definitionsRoute, (c) => c.json(sagaDefinitions(catalog), 200))
    .openapi(detailRoute, async (c) => {
      const { id } = c.req.valid('param');
      const saga = await loadSagaDetail(db(), id);
      if (!saga) return notFound(c, id);
      const [timeline, deadLetters] = await Promise.all([loadTimeline(db(), id), sagaDeadLetters(db(), id)]);
      return c.json(
        { saga, trace: sagaTrace(saga.state, deps.settings.traceUrlTemplate), timeline, deadLetters },
        200,
      );
    })
    .openapi(
      actionRoute(
        OperatorAction.retryStep,
        'Resend the awaited command, or re-issue the failed compensation',
      ),
      (c) => retry(c, c.req.valid('param').id),
    )
    .openapi(
      actionRoute(OperatorAction.compensate, 'Abandon the running step and compensate the saga'),
      (c) => compensate(c, c.req.valid('param').id),
    );
}

/** The saga's trace id (from the trace context its state keeps) and its link, or null when it was not traced. */
export function sagaTrace(
  state: unknown,
  urlTemplate: string,
): { traceId: string; url: string | null } | null {
  const traceparent = (state as { traceparent?: unknown } | null)?.traceparent;
  const match =
    typeof traceparent === 'string'
      ? /^[\da-f]{2}-([\da-f]{32})-[\da-f]{16}-[\da-f]{2}$/.exec(traceparent)
      : null;
  if (!match) return null;
  const traceId = match[1]!;
  return { traceId, url: urlTemplate ? urlTemplate.replaceAll('{traceId}', traceId) : null };
}
