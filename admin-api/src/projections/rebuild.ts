// POST /projections/{name}/rebuild: rebuild a projection into shadow tables and swap it in (operator, audited).
import { createRoute, z } from '@hono/zod-openapi';
import { isRebuildable, RebuildAlreadyRunning, type RebuildStatus, routeProblem } from '@sagaport/runtime';
import type { AdminDeps } from '../env.js';
import { adminRouter, jsonResponse, problems } from '../openapi.js';

/** A rebuild's progress as the admin API shows it. */
export const RebuildSchema = z
  .object({
    id: z.number().int(),
    state: z.enum(['running', 'swapping', 'done', 'failed']),
    appliedEvents: z.number().int(),
    streamOffset: z
      .number()
      .int()
      .openapi({ description: 'The last stream offset applied to the shadow tables (-1: none yet)' }),
    targetOffset: z
      .number()
      .int()
      .openapi({ description: 'The last offset of the stream when the rebuild started (-1: empty)' }),
    progress: z
      .number()
      .min(0)
      .max(1)
      .openapi({ description: 'Share of the stream, as it stood at the start, read so far (1 once done)' }),
    startedBy: z.string(),
    startedAt: z.iso.datetime(),
    finishedAt: z.iso.datetime().nullable(),
    error: z.string().nullable(),
  })
  .openapi('ProjectionRebuild');

/** A rebuild's progress in the API's shape. */
export function toRebuild(status: RebuildStatus): z.infer<typeof RebuildSchema> {
  const read = status.targetOffset < 0 ? 1 : (status.streamOffset + 1) / (status.targetOffset + 1);
  return {
    id: status.id,
    state: status.state,
    appliedEvents: status.appliedEvents,
    streamOffset: status.streamOffset,
    targetOffset: status.targetOffset,
    progress: status.state === 'done' ? 1 : Math.min(1, Math.max(0, read)),
    startedBy: status.startedBy,
    startedAt: status.startedAt.toISOString(),
    finishedAt: status.finishedAt?.toISOString() ?? null,
    error: status.error,
  };
}

const rebuildRoute = createRoute({
  method: 'post',
  path: '/projections/{name}/rebuild',
  tags: ['projections'],
  summary:
    'Rebuild a projection from the stream’s first event into shadow tables while it keeps serving, then swap them in (operator, audited)',
  request: {
    params: z.object({
      name: z
        .string()
        .min(1)
        .max(100)
        .openapi({ param: { name: 'name', in: 'path' } }),
    }),
  },
  responses: {
    202: jsonResponse(RebuildSchema, 'The rebuild, started; GET /projections shows its progress'),
    ...problems(401, 403, 404, 409, 503),
  },
});

/** The rebuild route; the rebuild runs on in this process after the answer. */
export function rebuildRoutes(deps: AdminDeps) {
  return adminRouter().openapi(rebuildRoute, async (c) => {
    const { name } = c.req.valid('param');
    const projection = (deps.projections ?? []).find((p) => p.name === name);
    if (!projection || !isRebuildable(projection)) {
      return routeProblem(c, {
        title: 'Not found',
        status: 404,
        detail: `no projection ${name} that this process can rebuild`,
        errors: [{ field: 'name', message: 'unknown projection' }],
      });
    }
    if (!deps.rebuilds) {
      return routeProblem(c, {
        title: 'Rebuilds unavailable',
        status: 503,
        detail: 'this process runs no projection rebuilds',
      });
    }
    const actor = c.get('actor');
    try {
      const status = await deps.rebuilds.start(projection, actor.email, (tx, claimed) => {
        const detail = { rebuildId: claimed.id, targetOffset: claimed.targetOffset };
        const full = actor.token ? { ...detail, token: actor.token } : detail;
        return tx`
          insert into admin.audit_log (actor_id, actor_email, action, target_type, target_id, detail)
          values (${actor.id}, ${actor.email}, 'projection.rebuild', 'projection', ${name}, ${JSON.stringify(full)}::jsonb)`;
      });
      return c.json(toRebuild(status), 202);
    } catch (error) {
      if (!(error instanceof RebuildAlreadyRunning)) throw error;
      return routeProblem(c, {
        title: 'Rebuild already running',
        status: 409,
        detail: `${error.message}, started by ${error.running.startedBy}`,
      });
    }
  });
}
