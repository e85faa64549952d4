// Replay previews: POST /dead-letters/{id}/replay-preview (one) and /dead-letters/replay-preview (a bulk dry run).
import { createRoute, z } from '@hono/zod-openapi';
import { routeProblem } from '@sagaport/runtime';
import type { AdminDeps } from '../env.js';
import { adminRouter, IdParams, jsonBody, jsonResponse, problems } from '../openapi.js';
import { previewBulk, previewReplay } from './preview.js';
import { findDeadLetter } from './replay.js';
import { CreateReplayJobSchema, FieldErrorSchema } from './schemas.js';

const tags = ['Dead letters'];

const RefusalCodeSchema = z.enum([
  'not-found',
  'already-replayed',
  'already-discarded',
  'not-json',
  'contract',
  'saga-missing',
  'saga-moved-on',
]);

export const ReplayPreviewSchema = z
  .object({
    deadLetterId: z.uuid(),
    messageType: z.string(),
    messageId: z.string(),
    kind: z.enum(['command', 'reply', 'other']),
    step: z
      .object({ name: z.string(), phase: z.enum(['forward', 'compensation']) })
      .nullable()
      .openapi({ description: 'The saga step the message belongs to' }),
    saga: z
      .object({
        id: z.uuid(),
        status: z.string(),
        awaiting: z
          .object({ type: z.string(), messageId: z.string(), step: z.string(), phase: z.string() })
          .nullable(),
      })
      .nullable(),
    waitingForThis: z
      .boolean()
      .nullable()
      .openapi({ description: 'For a command: whether its saga still waits for exactly this message' }),
    since: z
      .array(z.object({ at: z.string(), kind: z.string(), messageType: z.string().nullable() }))
      .openapi({ description: "The saga's events since the message first failed (at most 20)" }),
    willReplay: z.boolean(),
    refusal: z
      .object({
        status: z.union([z.literal(409), z.literal(422)]),
        code: RefusalCodeSchema,
        detail: z.string(),
      })
      .nullable()
      .openapi({ description: 'Why the replay would be refused: the replay answers this status and detail' }),
    errors: z.array(FieldErrorSchema),
    suggestion: z
      .object({
        action: z.enum(['edit', 'discard', 'retry-step', 'compensate', 'none']),
        detail: z.string(),
      })
      .nullable()
      .openapi({ description: 'The operator action that fits instead of a refused replay' }),
    effect: z
      .string()
      .openapi({ description: 'What the message does when delivered, e.g. "charges 12.50 EUR for order …"' }),
  })
  .openapi('ReplayPreview');

export const BulkReplayPreviewSchema = z
  .object({
    total: z.int().openapi({ description: 'Dead letters the job would hold' }),
    wouldReplay: z.int(),
    wouldSkip: z
      .int()
      .openapi({ description: 'Items the job would mark skipped (409: already handled, stale step)' }),
    wouldFail: z
      .int()
      .openapi({ description: 'Items the job would mark failed (422: the body breaks its contract)' }),
    reasons: z.array(
      z.object({
        code: RefusalCodeSchema,
        outcome: z.enum(['skipped', 'failed']),
        count: z.int(),
        example: z.string(),
      }),
    ),
    refusal: z
      .object({
        status: z.union([z.literal(409), z.literal(422)]),
        reason: z.enum(['unknown-ids', 'nothing-open', 'too-many-open']),
        detail: z.string(),
      })
      .nullable()
      .openapi({ description: 'Why POST /replay-jobs would refuse the whole job; null when it would start' }),
  })
  .openapi('BulkReplayPreview');

const single = createRoute({
  method: 'post',
  path: '/dead-letters/{id}/replay-preview',
  tags,
  summary: 'What replaying this dead letter would do (no effect): saga, step, verdict and effect',
  description:
    'Runs the checks of POST /dead-letters/{id}/replay without writing anything: whether the saga still waits for exactly this message, what happened since, which operator action fits when the replay would be refused, and what the message does. Send `body` to preview an edited body.',
  request: { params: IdParams, body: jsonBody(z.object({ body: z.unknown().optional() }).strict()) },
  responses: {
    200: jsonResponse(ReplayPreviewSchema, 'The preview'),
    ...problems(401, 403, 404, 422),
  },
});

const bulk = createRoute({
  method: 'post',
  path: '/dead-letters/replay-preview',
  tags,
  summary: 'A dry run of a bulk replay (no effect): how many would be replayed, skipped and why, or failed',
  description:
    'Takes the body of POST /replay-jobs and counts what its job would do if it ran now, item by item with the same checks, and whether the job itself would be refused.',
  request: { body: jsonBody(CreateReplayJobSchema) },
  responses: {
    200: jsonResponse(BulkReplayPreviewSchema, 'The dry run'),
    ...problems(401, 403, 422),
  },
});

export function replayPreviewRoutes(deps: AdminDeps) {
  const database = () => deps.database.db;
  return adminRouter()
    .openapi(bulk, async (c) => {
      const preview = await previewBulk(
        database(),
        c.get('actor'),
        c.req.valid('json'),
        deps.settings.openReplayJobsPerOperator,
      );
      return c.json(preview, 200);
    })
    .openapi(single, async (c) => {
      const row = await findDeadLetter(database(), c.req.valid('param').id);
      if (!row)
        return routeProblem(c, { title: 'Not found', status: 404, detail: 'No dead letter has this id.' });
      const request = c.req.valid('json');
      return c.json(
        await previewReplay(
          database(),
          deps.sagas,
          row,
          'body' in request ? { payload: request.body } : undefined,
        ),
        200,
      );
    });
}
