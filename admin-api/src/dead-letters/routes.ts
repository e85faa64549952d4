// Read routes of the dead-letter archive: list, groups, facets, detail; mutations live in actions.ts.
import { createRoute, z } from '@hono/zod-openapi';
import { routeProblem } from '@sagaport/runtime';
import type { AdminDeps } from '../env.js';
import { adminRouter, IdParams, jsonResponse, problems } from '../openapi.js';
import { deadLetterActionRoutes } from './actions.js';
import { deadLetterForRole } from './visibility.js';
import {
  BadCursor,
  deadLetterDetail,
  deadLetterFacets,
  groupDeadLetters,
  listDeadLetters,
} from './queries.js';
import {
  DeadLetterDetailSchema,
  DeadLetterFilterSchema,
  DeadLetterGroupSchema,
  DeadLetterSummarySchema,
  PageQuerySchema,
} from './schemas.js';

const tags = ['Dead letters'];

const list = createRoute({
  method: 'get',
  path: '/dead-letters',
  tags,
  summary: 'Dead letters, newest failure first, filtered and paged',
  request: { query: DeadLetterFilterSchema.extend(PageQuerySchema.shape) },
  responses: {
    200: jsonResponse(
      z.object({ items: z.array(DeadLetterSummarySchema), nextCursor: z.string().nullable() }),
      'A page of dead letters',
    ),
    ...problems(401, 422),
  },
});

const groups = createRoute({
  method: 'get',
  path: '/dead-letters/groups',
  tags,
  summary: 'Dead letters grouped by fingerprint (queue + type + error class + masked message)',
  request: { query: DeadLetterFilterSchema.extend({ limit: PageQuerySchema.shape.limit }) },
  responses: {
    200: jsonResponse(z.object({ items: z.array(DeadLetterGroupSchema) }), 'Groups, largest first'),
    ...problems(401, 422),
  },
});

const facets = createRoute({
  method: 'get',
  path: '/dead-letters/facets',
  tags,
  summary: 'The values each filter can take',
  responses: {
    200: jsonResponse(
      z.object({
        queues: z.array(z.string()),
        messageTypes: z.array(z.string()),
        errorClasses: z.array(z.string()),
      }),
      'Distinct queues, message types and error classes',
    ),
    ...problems(401),
  },
});

const detail = createRoute({
  method: 'get',
  path: '/dead-letters/{id}',
  tags,
  summary:
    'One dead letter with payload, headers, error, history, saga and whether it can be replayed; viewers get the stack without its frames',
  request: { params: IdParams },
  responses: { 200: jsonResponse(DeadLetterDetailSchema, 'The dead letter'), ...problems(401, 404, 422) },
});

const badCursor = {
  title: 'Invalid request',
  status: 422,
  detail: 'The cursor is not one this API issued; start again without it.',
  errors: [{ field: 'cursor', message: 'unreadable cursor' }],
};

/** The dead-letter routes: reads here, replay/discard/jobs from actions.ts. */
export function deadLetterRoutes(deps: AdminDeps) {
  const router = adminRouter()
    .openapi(list, async (c) => {
      const { limit, cursor, ...filter } = c.req.valid('query');
      try {
        return c.json(await listDeadLetters(deps.database.db, filter, limit, cursor), 200);
      } catch (error) {
        if (error instanceof BadCursor) return routeProblem(c, badCursor);
        throw error;
      }
    })
    .openapi(groups, async (c) => {
      const { limit, ...filter } = c.req.valid('query');
      return c.json({ items: await groupDeadLetters(deps.database.db, filter, limit) }, 200);
    })
    .openapi(facets, async (c) => c.json(await deadLetterFacets(deps.database.db), 200))
    .openapi(detail, async (c) => {
      const found = await deadLetterDetail(deps.database.db, c.req.valid('param').id);
      if (!found) {
        return routeProblem(c, {
          title: 'Not found',
          status: 404,
          detail: 'No dead letter has this id.',
        });
      }
      return c.json(deadLetterForRole(c.get('actor').role, found), 200);
    });
  router.route('/', deadLetterActionRoutes(deps));
  return router;
}
