// The orchestrator's tables: saga instances (read model), their event log, and checkout idempotency keys.
import { sql } from 'drizzle-orm';
import { bigserial, index, integer, jsonb, pgSchema, text, timestamp, uuid } from 'drizzle-orm/pg-core';

export const sagaSchema = pgSchema('saga');

/**
 * One row per saga: where it stands now. Kept in the same transaction as the event log and
 * rebuildable from it; `version` guards each transition (optimistic concurrency).
 */
/**
 * Where a saga stands, as `saga.instances.status` stores it: running, then completed; or
 * compensating, then compensated or failed; or rejected, when a step marked `refusalRejects`
 * refused (the request was refused, nothing changed).
 */
export const SagaStatus = {
  running: 'running',
  compensating: 'compensating',
  completed: 'completed',
  compensated: 'compensated',
  /** A compensation could not finish: an operator has to look. */
  failed: 'failed',
  /** A step that decides whether the saga may go ahead refused: the saga ends with the reason, nothing changed. */
  rejected: 'rejected',
} as const;
export type SagaStatus = (typeof SagaStatus)[keyof typeof SagaStatus];

/** The statuses a saga never leaves. */
export const terminalStatuses: readonly SagaStatus[] = [
  SagaStatus.completed,
  SagaStatus.compensated,
  SagaStatus.failed,
  SagaStatus.rejected,
];

export const sagaInstances = sagaSchema.table(
  'instances',
  {
    id: uuid('id').primaryKey(),
    sagaType: text('saga_type').notNull(),
    status: text('status').notNull(),
    /** Name of the step awaiting a reply, or null once the saga has ended. */
    currentStep: text('current_step'),
    /** The saga's full state (the definition's data, progress, awaited command). */
    state: jsonb('state').$type<unknown>().notNull(),
    version: integer('version').notNull().default(0),
    outcome: text('outcome'),
    failureReason: jsonb('failure_reason').$type<{ code: string; message: string } | null>(),
    deadlineAt: timestamp('deadline_at', { withTimezone: true }),
    /**
     * The saga's business keys (its definition's `keys`: order id, customer id, email…), written
     * when it starts and never changed, so updates stay HOT. Searched ignoring case through
     * `instances_business_keys_idx` (see {@link foldedBusinessKeys}).
     */
    businessKeys: jsonb('business_keys')
      .$type<Record<string, string>>()
      .notNull()
      .default(sql`'{}'::jsonb`),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
    updatedAt: timestamp('updated_at', { withTimezone: true }).notNull().defaultNow(),
    endedAt: timestamp('ended_at', { withTimezone: true }),
  },
  (t) => [
    index('instances_status_idx').on(t.status, t.createdAt),
    // The console lists sagas newest first, paging on (created_at, id).
    index('instances_created_idx').on(t.createdAt, t.id),
    // No index on deadline_at, current_step or updated_at, which change at every step: an update
    // that changes no indexed column is HOT (no index entries, pruned in its page without a
    // vacuum). The timeout scanner finds sagas past their deadline among the unfinished ones
    // through the status index.
    // The console finds sagas by any business key, ignoring case: `lower(business_keys::text)::jsonb @> '{"email": "…"}'`.
    index('instances_business_keys_idx').using(
      'gin',
      sql`(lower(${t.businessKeys}::text)::jsonb) jsonb_path_ops`,
    ),
  ],
);

/**
 * The business keys as the search index holds them: the JSON with every letter folded to lower
 * case (key names included), so `foldedBusinessKeys @> '{"email":"ada@example.com"}'` matches
 * `Ada@Example.com`. A condition must use this exact expression for the index to serve it.
 */
export const foldedBusinessKeys = sql`(lower(${sagaInstances.businessKeys}::text)::jsonb)`;

/** Append-only history of every saga: commands, replies, timeouts, compensations, operator actions. */
export const sagaEvents = sagaSchema.table(
  'events',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    sagaId: uuid('saga_id').notNull(),
    /** The saga's version after this event's transition. */
    version: integer('version').notNull(),
    kind: text('kind').notNull(),
    messageType: text('message_type'),
    messageId: uuid('message_id'),
    detail: jsonb('detail').$type<unknown>(),
    /**
     * The saga's state after the transition, on the last row each state change writes (null on
     * the others): with `deadline_at`, `version` and the times of the rows, what `saga.instances`
     * is rebuilt from (`npm run sagas:rebuild`).
     */
    state: jsonb('state').$type<unknown>(),
    /** The step deadline that transition set (moved on when a deadline is held), beside `state`. */
    deadlineAt: timestamp('deadline_at', { withTimezone: true }),
    createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
  },
  (t) => [index('events_saga_idx').on(t.sagaId, t.id)],
);

/** `Idempotency-Key` of each checkout request, with a hash of its body, and the saga it started. */
export const checkoutRequests = sagaSchema.table('checkout_requests', {
  idempotencyKey: text('idempotency_key').primaryKey(),
  requestHash: text('request_hash').notNull(),
  sagaId: uuid('saga_id').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true }).notNull().defaultNow(),
});
