// GET /projections (offset, lag, state, last error, parked counts, latest rebuild), pause/resume, parked events and their replay or skip, rebuilds (audited).
import { createRoute, z } from '@hono/zod-openapi';
import {
  countOpenParked,
  latestRebuilds,
  listParked,
  measureLag,
  type Projection,
  readCheckpoints,
  readRawEvent,
  routeProblem,
  setProjectionState,
} from '@sagaport/runtime';
import type { AdminDeps } from '../env.js';
import { adminRouter, jsonResponse, problems } from '../openapi.js';
import { RebuildSchema, rebuildRoutes, toRebuild } from './rebuild.js';
import type { Context } from 'hono';
import type postgres from 'postgres';
import type { AdminEnv } from '../env.js';

const ProjectionSchema = z
  .object({
    name: z.string(),
    state: z.enum(['running', 'paused', 'stopped']),
    offset: z.number().int().openapi({ description: 'The last stream offset applied (-1: none yet)' }),
    streamEnd: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'The last offset in the stream; null if it could not be read' }),
    lagEvents: z.number().int().nullable(),
    lagSeconds: z.number().nullable(),
    appliedEvents: z.number().int(),
    lastEventAt: z.iso.datetime().nullable(),
    lastError: z.string().nullable(),
    openParked: z.number().int(),
    runner: z.string().nullable().openapi({ description: 'The process holding the lease (pid-id)' }),
    leaseUntil: z.iso.datetime().nullable(),
    // The latest rebuild; null if it never had one.
    rebuild: RebuildSchema.nullable(),
  })
  .openapi('Projection');

const ParkedSchema = z
  .object({
    id: z.number().int(),
    streamOffset: z.number().int(),
    eventIndex: z.number().int().openapi({
      description:
        'Its place in the stream message at that offset: 0 for a message of its own; an event batch counts its events from 0',
    }),
    messageId: z.string().nullable(),
    type: z.string().nullable(),
    sagaId: z.string().nullable(),
    headers: z.record(z.string(), z.unknown()),
    body: z.string(),
    error: z.string(),
    parkedAt: z.iso.datetime(),
    resolution: z.enum(['replayed', 'skipped']).nullable(),
    resolvedBy: z.string().nullable(),
    resolvedAt: z.iso.datetime().nullable(),
  })
  .openapi('ParkedEvent');

const NameParams = z.object({
  name: z
    .string()
    .min(1)
    .max(100)
    .openapi({ param: { name: 'name', in: 'path' } }),
});
const ParkedParams = NameParams.extend({
  id: z.coerce
    .number()
    .int()
    .positive()
    .openapi({ param: { name: 'id', in: 'path' } }),
});

const listRoute = createRoute({
  method: 'get',
  path: '/projections',
  tags: ['projections'],
  summary:
    'Every projection: offset, lag (events and seconds, measured now), state, last error, open parked events',
  responses: {
    200: jsonResponse(z.object({ items: z.array(ProjectionSchema) }), 'The projections'),
    ...problems(401),
  },
});
const stateRoute = (action: 'pause' | 'resume') =>
  createRoute({
    method: 'post',
    path: `/projections/{name}/${action}`,
    tags: ['projections'],
    summary:
      action === 'pause'
        ? 'Pause a projection: its runner stops after the batch in progress (operator)'
        : 'Resume a paused or stopped projection (operator)',
    request: { params: NameParams },
    responses: {
      200: jsonResponse(z.object({ name: z.string(), state: z.string() }), 'The new state'),
      ...problems(401, 403, 404),
    },
  });
const parkedRoute = createRoute({
  method: 'get',
  path: '/projections/{name}/parked',
  tags: ['projections'],
  summary: 'Parked events of a projection, oldest first (open ones; `all=true` for resolved ones too)',
  request: { params: NameParams, query: z.object({ all: z.enum(['true', 'false']).optional() }) },
  responses: {
    200: jsonResponse(z.object({ items: z.array(ParkedSchema) }), 'The parked events'),
    ...problems(401, 404),
  },
});
const resolveRoute = (action: 'replay' | 'skip') =>
  createRoute({
    method: 'post',
    path: `/projections/{name}/parked/{id}/${action}`,
    tags: ['projections'],
    summary:
      action === 'replay'
        ? 'Apply a parked event now (read again with the current contracts and upcasters) and close it (operator, audited)'
        : 'Close a parked event without applying it (operator, audited)',
    request: { params: ParkedParams },
    responses: {
      200: jsonResponse(ParkedSchema, 'The parked event, resolved'),
      ...problems(401, 403, 404, 409, 422),
    },
  });

const iso = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

/** The projection routes; `projections` are the ones this process knows how to apply (replays need them). */
export function projectionRoutes(deps: AdminDeps) {
  const known = (): readonly Projection[] => deps.projections ?? [];
  const exists = async (name: string) =>
    known().some((p) => p.name === name) ||
    (await readCheckpoints(deps.database.sql)).some((c) => c.name === name);
  const notFound = (c: Context, name: string) =>
    routeProblem(c, {
      title: 'Not found',
      status: 404,
      detail: `no projection ${name}`,
      errors: [{ field: 'name', message: 'unknown projection' }],
    });

  return adminRouter()
    .openapi(listRoute, async (c) => {
      const sql = deps.database.sql;
      const [checkpoints, open, rebuilds] = await Promise.all([
        readCheckpoints(sql),
        countOpenParked(sql),
        latestRebuilds(sql),
      ]);
      const names = [...new Set([...known().map((p) => p.name), ...checkpoints.map((cp) => cp.name)])].sort();
      const items = await Promise.all(
        names.map(async (name) => {
          const cp = checkpoints.find((x) => x.name === name);
          const lag = await measureLag(sql, deps.broker, deps.topology.queues.events, name).catch(() => null);
          return {
            name,
            state: cp?.state ?? 'running',
            offset: cp?.streamOffset ?? -1,
            streamEnd: lag?.streamEnd ?? null,
            lagEvents: lag?.events ?? null,
            lagSeconds: lag?.seconds ?? null,
            appliedEvents: cp?.appliedEvents ?? 0,
            lastEventAt: iso(cp?.lastEventAt ?? null),
            lastError: cp?.lastError ?? null,
            openParked: open.get(name) ?? 0,
            runner: cp?.leaseUntil && cp.leaseUntil.getTime() > Date.now() ? cp.owner : null,
            leaseUntil: iso(cp?.leaseUntil ?? null),
            rebuild: rebuilds.has(name) ? toRebuild(rebuilds.get(name)!) : null,
          };
        }),
      );
      return c.json({ items }, 200);
    })
    .openapi(stateRoute('pause'), async (c) => changeState(c, 'paused'))
    .openapi(stateRoute('resume'), async (c) => changeState(c, 'running'))
    .openapi(parkedRoute, async (c) => {
      const { name } = c.req.valid('param');
      if (!(await exists(name))) return notFound(c, name);
      const rows = await listParked(deps.database.sql, name, {
        all: c.req.valid('query').all === 'true',
        limit: 500,
      });
      return c.json({ items: rows.map(toParked) }, 200);
    })
    .openapi(resolveRoute('replay'), async (c) => resolve(c, 'replayed'))
    .openapi(resolveRoute('skip'), async (c) => resolve(c, 'skipped'))
    .route('/', rebuildRoutes(deps));

  async function changeState(c: Context<AdminEnv>, state: 'running' | 'paused') {
    const name = c.req.param('name') ?? '';
    if (!(await exists(name))) return notFound(c, name);
    const actor = c.get('actor');
    await deps.database.sql.begin(async (tx) => {
      await setProjectionState(tx, name, state);
      await audit(tx, actor, state === 'paused' ? 'projection.pause' : 'projection.resume', name, {});
    });
    return c.json({ name, state }, 200);
  }

  async function resolve(c: Context<AdminEnv>, resolution: 'replayed' | 'skipped') {
    const name = c.req.param('name') ?? '';
    const id = Number(c.req.param('id'));
    const projection = known().find((p) => p.name === name);
    if (resolution === 'replayed' && !projection) return notFound(c, name);
    const actor = c.get('actor');
    const outcome = await deps.database.sql.begin(async (tx) => {
      const [row] = await tx<
        {
          id: string;
          stream_offset: string;
          message_id: string | null;
          message_type: string | null;
          correlation_id: string | null;
          headers: unknown;
          body: string;
          resolved_at: unknown;
        }[]
      >`
        select id, stream_offset, message_id, message_type, correlation_id, headers, body, resolved_at
        from projections.parked_events where projection = ${name} and id = ${id} for update`;
      if (!row) return 'missing' as const;
      if (row.resolved_at !== null) return 'resolved' as const;
      if (resolution === 'replayed') {
        const headers = (typeof row.headers === 'string' ? JSON.parse(row.headers) : row.headers) as Record<
          string,
          unknown
        >;
        let body: unknown;
        try {
          body = JSON.parse(row.body);
        } catch {
          body = undefined;
        }
        let event;
        try {
          event = readRawEvent({
            messageId: row.message_id,
            type: row.message_type,
            correlationId: row.correlation_id,
            headers,
            body,
            bodyText: row.body,
          });
        } catch (error) {
          return { invalid: (error as Error).message };
        }
        await projection!.apply(tx, [{ offset: Number(row.stream_offset), event }]);
      }
      await tx`
        update projections.parked_events set resolution = ${resolution}, resolved_by = ${actor.email}, resolved_at = now()
        where id = ${id}`;
      await audit(
        tx,
        actor,
        resolution === 'replayed' ? 'projection.parked.replay' : 'projection.parked.skip',
        name,
        {
          parkedId: id,
          streamOffset: Number(row.stream_offset),
          type: row.message_type,
        },
      );
      return 'done' as const;
    });
    if (outcome === 'missing') {
      return routeProblem(c, {
        title: 'Not found',
        status: 404,
        detail: `no parked event ${id} of ${name}`,
        errors: [{ field: 'id', message: 'unknown parked event' }],
      });
    }
    if (outcome === 'resolved')
      return routeProblem(c, {
        title: 'Already resolved',
        status: 409,
        detail: `parked event ${id} was replayed or skipped already`,
      });
    if (typeof outcome === 'object') {
      return routeProblem(c, {
        title: 'Still cannot be read',
        status: 422,
        detail: outcome.invalid,
        errors: [{ field: 'body', message: outcome.invalid }],
      });
    }
    const [resolved] = (await listParked(deps.database.sql, name, { all: true, limit: 100_000 })).filter(
      (p) => p.id === id,
    );
    return c.json(toParked(resolved!), 200);
  }
}

function toParked(p: Awaited<ReturnType<typeof listParked>>[number]) {
  return {
    id: p.id,
    streamOffset: p.streamOffset,
    eventIndex: p.eventIndex,
    messageId: p.messageId,
    type: p.messageType,
    sagaId: p.correlationId,
    headers: typeof p.headers === 'string' ? (JSON.parse(p.headers) as Record<string, unknown>) : p.headers,
    body: p.body,
    error: p.error,
    parkedAt: iso(p.parkedAt)!,
    resolution: p.resolution,
    resolvedBy: p.resolvedBy,
    resolvedAt: iso(p.resolvedAt),
  };
}

async function audit(
  tx: postgres.TransactionSql,
  actor: { id: string; email: string; token?: { id: string; name: string } },
  action: string,
  projection: string,
  detail: Record<string, unknown>,
) {
  const full = actor.token ? { ...detail, token: actor.token } : detail;
  await tx`
    insert into admin.audit_log (actor_id, actor_email, action, target_type, target_id, detail)
    values (${actor.id}, ${actor.email}, ${action}, 'projection', ${projection}, ${JSON.stringify(full)}::jsonb)`;
}
