// The sagas API's shapes: query filters, saga summaries and details, the timeline and the stats.
import { z } from '@hono/zod-openapi';
import { filterText as sharedFilterText } from '../filters.js';
import { DeadLetterSummarySchema } from '../dead-letters/schemas.js';
import { SagaStatus, sagaTypeNames, stepNames, type SagaCatalog } from '../orchestration.js';

/** Non-empty filter text (see ../filters.ts). */
const filterText = (max: number) => sharedFilterText(max).min(1);

const statuses = Object.values(SagaStatus) as [SagaStatus, ...SagaStatus[]];
export const SagaStatusSchema = z.enum(statuses).openapi('SagaStatus');

/** The saga types of `catalog`, as the `SagaType` enum. */
export function sagaTypeSchema(catalog: SagaCatalog) {
  return z.enum(sagaTypeNames(catalog) as [string, ...string[]]).openapi('SagaType');
}

/** The filters of GET /sagas; the saga type and the awaited step are enums of `catalog`'s. */
export const sagaListQuerySchema = (catalog: SagaCatalog) =>
  z.object({
    type: sagaTypeSchema(catalog).optional().openapi({ description: 'The saga definition (saga type)' }),
    status: SagaStatusSchema.optional(),
    step: z
      .enum(stepNames(catalog) as [string, ...string[]])
      .optional()
      .openapi({
        description:
          'A step the saga awaits a reply of (a step of any registered saga; every step of a stage in flight counts)',
      }),
    stuck: z
      .enum(['true', 'false'])
      .optional()
      .openapi({ description: '`true`: failed, or running/compensating past its step deadline' }),
    olderThanSeconds: z.coerce
      .number()
      .int()
      .min(0)
      .max(10 * 365 * 86_400)
      .optional()
      .openapi({ type: 'integer', description: 'Started more than this many seconds ago' }),
    q: filterText(320).optional().openapi({
      description:
        'Saga id, or the value of any business key of a registered saga (order id, customer id, email…), ignoring case; exact match',
    }),
    limit: z.coerce.number().int().min(1).max(200).default(50),
    cursor: filterText(200).optional().openapi({ description: 'nextCursor of the previous page' }),
  });
export type SagaListQuery = z.infer<ReturnType<typeof sagaListQuerySchema>>;

/** A registered saga definition as the console needs it: its steps in order and its business keys. */
export const SagaDefinitionSchema = z
  .object({
    name: z.string().openapi({ description: 'The saga type' }),
    steps: z.array(
      z.object({
        name: z.string(),
        command: z.string(),
        compensation: z.string().nullable().openapi({ description: 'The command that undoes it, if any' }),
      }),
    ),
    keys: z
      .array(z.string())
      .openapi({ description: 'The business keys a saga of this type is searchable by' }),
  })
  .openapi('SagaDefinition');
export type SagaDefinitionView = z.infer<typeof SagaDefinitionSchema>;

/** Every registered definition, as GET /sagas/definitions lists them. */
export function sagaDefinitions(catalog: SagaCatalog): SagaDefinitionView[] {
  return catalog.definitions.map((d) => ({
    name: d.name,
    steps: d.steps.map((s) => ({ name: s.name, command: s.command, compensation: s.compensation })),
    keys: [...d.keys],
  }));
}

export const SagaIdParamSchema = z.object({
  id: z.uuid().openapi({ param: { name: 'id', in: 'path' }, description: 'Saga id' }),
});

const FailureReasonSchema = z.object({ code: z.string(), message: z.string() });

export const SagaSummarySchema = z
  .object({
    id: z.uuid(),
    type: z.string().openapi({ description: 'The saga definition it runs (SagaType)' }),
    status: SagaStatusSchema,
    currentStep: z.string().nullable(),
    businessKeys: z
      .record(z.string(), z.string())
      .openapi({ description: 'The business keys its definition declares, as written when it started' }),
    orderId: z.uuid().nullable(),
    customerId: z.string().nullable(),
    email: z.string().nullable(),
    totalCents: z.number().int().nullable(),
    currency: z.string().nullable(),
    createdAt: z.string(),
    updatedAt: z.string(),
    endedAt: z.string().nullable(),
    deadlineAt: z.string().nullable(),
    failureReason: FailureReasonSchema.nullable(),
    stuck: z.boolean(),
    openDeadLetters: z.number().int(),
  })
  .openapi('SagaSummary');
export type SagaSummary = z.infer<typeof SagaSummarySchema>;

export const SagaDetailSchema = SagaSummarySchema.extend({
  version: z.number().int(),
  state: z.unknown().openapi({ description: 'The saga state as the engine stores it' }),
}).openapi('SagaDetail');
export type SagaDetail = z.infer<typeof SagaDetailSchema>;

export const SagaPageSchema = z.object({
  items: z.array(SagaSummarySchema),
  nextCursor: z.string().nullable(),
});

export const TimelineSource = {
  saga: 'saga',
  retry: 'retry',
  deadLetter: 'dead-letter',
  audit: 'audit',
} as const;
export type TimelineSource = (typeof TimelineSource)[keyof typeof TimelineSource];

export const TimelineEntrySchema = z
  .object({
    at: z.string().openapi({
      description: 'ISO 8601 UTC with microseconds, so same-millisecond entries keep their order',
    }),
    kind: z.string(),
    source: z.enum(['saga', 'retry', 'dead-letter', 'audit']),
    messageType: z.string().nullable(),
    messageId: z.string().nullable(),
    detail: z.unknown(),
  })
  .openapi('TimelineEntry');
export type TimelineEntry = z.infer<typeof TimelineEntrySchema>;

/** A dead letter as listed: the dead-letter routes' own summary. */
export const SagaDeadLetterSchema = DeadLetterSummarySchema;
export type SagaDeadLetter = z.infer<typeof SagaDeadLetterSchema>;

/** Where the saga's trace is: its id, and a link when TRACE_URL_TEMPLATE is set. */
export const SagaTraceSchema = z
  .object({
    traceId: z
      .string()
      .openapi({ description: 'W3C trace id (32 hex digits) of the saga, which every span of it shares' }),
    url: z
      .string()
      .nullable()
      .openapi({ description: 'The trace in the tracing UI (TRACE_URL_TEMPLATE); null when none is set' }),
  })
  .openapi('SagaTrace');

export const SagaDetailResponseSchema = z.object({
  saga: SagaDetailSchema,
  /** Null when the saga was not traced (tracing off when it started). */
  trace: SagaTraceSchema.nullable(),
  timeline: z.array(TimelineEntrySchema),
  deadLetters: z.array(SagaDeadLetterSchema),
});

const BucketSchema = z.object({
  start: z.string(),
  started: z.number().int(),
  completed: z.number().int(),
  compensated: z.number().int(),
  failed: z.number().int(),
});

export const SagaStatsSchema = z
  .object({
    byStatus: z.object({
      running: z.number().int(),
      compensating: z.number().int(),
      completed: z.number().int(),
      compensated: z.number().int(),
      failed: z.number().int(),
      rejected: z.number().int(),
    } satisfies Record<SagaStatus, unknown>),
    stuck: z.number().int(),
    lastHour: z.object({
      buckets: z.array(BucketSchema).openapi({ description: '12 five-minute buckets, oldest first' }),
      failureRate: z
        .number()
        .openapi({ description: '(compensated + failed) / ended in these buckets; 0 when none ended' }),
    }),
  })
  .openapi('SagaStats');
export type SagaStats = z.infer<typeof SagaStatsSchema>;
