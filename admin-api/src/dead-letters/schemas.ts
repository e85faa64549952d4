// zod schemas of the dead-letter routes: filters, summaries, details, groups and replay jobs.
import { z } from '@hono/zod-openapi';
import { filterText, timeFilter } from '../filters.js';

export const DeadLetterStatusSchema = z.enum(['open', 'replayed', 'discarded']);

export const DeadLetterFilterSchema = z.object({
  queue: filterText(255).optional(),
  messageType: filterText(255).optional(),
  errorClass: filterText(64).optional(),
  sagaId: z.uuid().optional(),
  status: DeadLetterStatusSchema.optional(),
  fingerprint: filterText(64).optional(),
  q: filterText(500).optional().openapi({ description: 'Text in the error message, message id or body' }),
  from: timeFilter('Last failure at or after'),
  to: timeFilter('Last failure before'),
});
export type DeadLetterFilter = z.infer<typeof DeadLetterFilterSchema>;

export const PageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: filterText(200).optional(),
});

export const DeadLetterSummarySchema = z
  .object({
    id: z.uuid(),
    deadLetterQueue: z.string(),
    originalQueue: z.string(),
    messageId: z.string(),
    messageType: z.string(),
    sagaId: z.uuid().nullable(),
    errorClass: z.string(),
    errorName: z.string(),
    errorMessage: z.string(),
    attempts: z.number().int(),
    firstFailedAt: z.string(),
    lastFailedAt: z.string(),
    failedBy: z.string(),
    fingerprint: z.string(),
    status: DeadLetterStatusSchema,
    archivedAt: z.string(),
    replayedAt: z.string().nullable(),
    replayedBy: z.string().nullable(),
    replayMessageId: z.uuid().nullable(),
  })
  .openapi('DeadLetterSummary');

export const DeadLetterDetailSchema = DeadLetterSummarySchema.extend({
  originalExchange: z.string(),
  originalRoutingKey: z.string(),
  headers: z.record(z.string(), z.unknown()),
  properties: z.record(z.string(), z.unknown()),
  body: z.string(),
  bodyEncoding: z.enum(['utf8', 'base64']),
  bodyJson: z.unknown().openapi({ description: 'The body parsed as JSON, or null when it is not JSON' }),
  errorStack: z.string(),
  deathHistory: z.array(z.record(z.string(), z.unknown())),
  replayOf: z.uuid().nullable(),
  replayEdited: z.boolean().nullable(),
  discardedAt: z.string().nullable(),
  discardedBy: z.string().nullable(),
  discardReason: z.string().nullable(),
  laterFailures: z.array(DeadLetterSummarySchema),
  saga: z.object({ id: z.uuid(), status: z.string(), currentStep: z.string().nullable() }).nullable(),
  replayable: z.object({ ok: z.boolean(), reason: z.string().optional() }),
}).openapi('DeadLetterDetail');

export const DeadLetterGroupSchema = z
  .object({
    fingerprint: z.string(),
    originalQueue: z.string(),
    messageType: z.string(),
    errorClass: z.string(),
    title: z.string(),
    count: z.number().int(),
    openCount: z.number().int(),
    firstSeen: z.string(),
    lastSeen: z.string(),
    sampleId: z.uuid(),
  })
  .openapi('DeadLetterGroup');

export const FieldErrorSchema = z.object({ field: z.string(), message: z.string() }).openapi('FieldError');

export const ReplayBodySchema = z
  .object({
    body: z.unknown().optional().openapi({ description: 'An edited payload; omit to replay the original' }),
    reason: filterText(1_000).optional(),
  })
  .strict();

/** What a job selected, summarized: lists and audit rows never carry the 10,000 ids themselves. */
export const ReplayJobSelectorSchema = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('ids'),
      count: z.number().int().openapi({ description: 'How many ids were chosen' }),
    }),
    z.object({ kind: z.literal('fingerprint'), fingerprint: z.string() }),
    z.object({
      kind: z.literal('filter'),
      filter: z.record(z.string(), z.string()).openapi({ description: 'The filter, as given' }),
    }),
  ])
  .openapi('ReplayJobSelector');
export type ReplayJobSelector = z.infer<typeof ReplayJobSelectorSchema>;

export const ReplayJobSchema = z
  .object({
    id: z.uuid(),
    status: z.enum(['queued', 'running', 'completed', 'cancelled']),
    createdBy: z.string(),
    createdAt: z.string(),
    startedAt: z.string().nullable(),
    finishedAt: z.string().nullable(),
    ratePerSecond: z.number().int(),
    total: z.number().int(),
    replayed: z.number().int(),
    skipped: z.number().int(),
    failed: z.number().int(),
    selector: ReplayJobSelectorSchema,
  })
  .openapi('ReplayJob');

export const ReplayJobItemStatusSchema = z.enum(['pending', 'replayed', 'skipped', 'failed']);
export type ReplayJobItemStatus = z.infer<typeof ReplayJobItemStatusSchema>;

export const ReplayJobItemSchema = z
  .object({
    deadLetterId: z.uuid(),
    status: ReplayJobItemStatusSchema,
    detail: z.string().nullable(),
    replayMessageId: z.uuid().nullable(),
    processedAt: z.string().nullable(),
  })
  .openapi('ReplayJobItem');

/** A job with one page of its items, in selection order. */
export const ReplayJobPageSchema = ReplayJobSchema.extend({
  items: z.array(ReplayJobItemSchema),
  nextCursor: z.string().nullable(),
}).openapi('ReplayJobPage');

export const ReplayJobItemsQuerySchema = PageQuerySchema.extend({
  status: ReplayJobItemStatusSchema.optional().openapi({ description: 'Only items with this result' }),
});

export const CreateReplayJobSchema = z
  .object({
    ids: z.array(z.uuid()).min(1).max(10_000).optional(),
    fingerprint: filterText(64).optional(),
    filter: DeadLetterFilterSchema.omit({ status: true }).optional(),
    ratePerSecond: z.number().int().min(1).max(10_000).optional(),
  })
  .strict()
  .refine((v) => [v.ids, v.fingerprint, v.filter].filter((x) => x !== undefined).length === 1, {
    message: 'give exactly one of ids, fingerprint or filter',
    path: ['ids'],
  });
export type CreateReplayJob = z.infer<typeof CreateReplayJobSchema>;
