// Replay previews: what a replay would do, decided by the same checks as the replay, writing nothing.
import { deadLetters, replayJobs, sagaEvents, sagaInstances, type DbExecutor } from '@sagaport/db';
import { commandContracts, replyContracts } from '@sagaport/rabbitmq';
import { and, asc, eq, gte, inArray } from 'drizzle-orm';
import type { Actor } from '../env.js';
import {
  terminalStatuses,
  waitsFor,
  type SagaCatalog,
  type SagaStateView,
  type SagaStatus,
} from '../orchestration.js';
import { checkIds, selectIds } from './jobs.js';
import { checkReplay, type DeadLetterRow, type RefusalCode, type ReplayRefusal } from './replay.js';
import type { CreateReplayJob } from './schemas.js';

type SagaRow = { id: string; sagaType: string; status: string; state: unknown };

/**
 * The saga step a message type belongs to, and in which direction: in the definition of
 * `sagaType` when the saga is known, else in the first definition of `catalog` that sends it.
 */
export function stepOf(
  catalog: SagaCatalog,
  messageType: string,
  sagaType?: string,
): { name: string; phase: 'forward' | 'compensation' } | null {
  const command = messageType.endsWith('.reply') ? messageType.slice(0, -'.reply'.length) : messageType;
  const known = sagaType ? catalog.definitions.find((d) => d.name === sagaType) : undefined;
  const definitions = known ? [known] : catalog.definitions;
  for (const definition of definitions) {
    for (const step of definition.steps) {
      if (step.command === command) return { name: step.name, phase: 'forward' };
      if (step.compensation === command) return { name: step.name, phase: 'compensation' };
    }
  }
  return null;
}

const money = (cents: unknown, currency: unknown) =>
  typeof cents === 'number'
    ? `${(cents / 100).toFixed(2)} ${typeof currency === 'string' ? currency : ''}`.trim()
    : 'an amount';

const itemsText = (items: unknown) =>
  Array.isArray(items)
    ? items
        .map((i: { sku?: unknown; quantity?: unknown }) => `${String(i.quantity)} × ${String(i.sku)}`)
        .join(', ')
    : 'its items';

/** What sending `messageType` with `payload` does, in an operator's words. */
export function effectOf(messageType: string, payload: unknown, sagaId: string | null): string {
  const p = (typeof payload === 'object' && payload !== null ? payload : {}) as Record<string, unknown>;
  const order = typeof p.orderId === 'string' ? `order ${p.orderId}` : 'the order';
  switch (messageType) {
    case 'order.create':
      return `creates ${order} for customer ${String(p.customerId)}: ${itemsText(p.items)}, ${money(p.totalCents, p.currency)}`;
    case 'order.confirm':
      return `confirms ${order}`;
    case 'order.cancel':
      return `cancels ${order}${typeof p.reason === 'string' ? ` (${p.reason})` : ''}`;
    case 'inventory.reserve':
      return `reserves ${itemsText(p.items)} for ${order}`;
    case 'inventory.release':
      return `releases the stock reserved for ${order}`;
    case 'payment.charge':
      return `charges ${money(p.amountCents, p.currency)} for ${order}`;
    case 'payment.refund':
      return `refunds ${money(p.amountCents, p.currency)} for ${order}`;
    case 'shipping.schedule': {
      const address = (p.address ?? {}) as Record<string, unknown>;
      return `schedules shipping of ${itemsText(p.items)} to ${String(address.city)}, ${String(address.country)} for ${order}`;
    }
    case 'shipping.cancel':
      return `cancels the shipment of ${order}`;
    case 'shipping.withdraw':
      return `withdraws the shipment of ${order} unless it has shipped`;
    case 'shipping.reinstate':
      return `schedules the withdrawn shipment of ${order} again`;
    case 'payment.reimburse':
      return `refunds ${money(p.amountCents, p.currency)} charged for ${order}`;
    case 'inventory.restock':
      return `puts the stock sold with ${order} back on sale`;
    case 'order.revoke':
      return `cancels the confirmed ${order}${typeof p.reason === 'string' ? ` (${p.reason})` : ''}`;
  }
  if (messageType in replyContracts)
    return `hands the ${messageType} to saga ${sagaId ?? '(none)'}: the saga applies it if it still waits for it and ignores it otherwise`;
  return `publishes ${messageType} again`;
}

/** Which operator action fits instead of a refused replay. */
export function suggestionFor(
  refusal: ReplayRefusal,
  saga: SagaRow | undefined,
): { action: 'edit' | 'discard' | 'retry-step' | 'compensate' | 'none'; detail: string } {
  switch (refusal.code) {
    case 'not-json':
    case 'contract':
      return {
        action: 'edit',
        detail: 'Edit the body until it meets its contract, then replay the edited body.',
      };
    case 'already-replayed':
    case 'already-discarded':
    case 'not-found':
      return { action: 'none', detail: 'Nothing to do: this dead letter was already dealt with.' };
    case 'saga-missing':
      return { action: 'discard', detail: 'Discard this dead letter: no saga waits for it.' };
    case 'saga-moved-on': {
      const status = saga?.status as SagaStatus | undefined;
      if (status === 'failed')
        return {
          action: 'retry-step',
          detail:
            'The saga failed. On its page, retry the step (resends what it waits for) or compensate; then discard this dead letter.',
        };
      if (status && terminalStatuses.includes(status))
        return {
          action: 'discard',
          detail: `The saga is ${status}: nothing waits for this message. Discard it.`,
        };
      const awaiting = (saga?.state as SagaStateView | undefined)?.awaiting;
      return awaiting
        ? {
            action: 'retry-step',
            detail: `The saga moved on and now waits for ${awaiting.type}. If it is stuck there, retry that step from the saga's page; discard this dead letter.`,
          }
        : {
            action: 'compensate',
            detail: 'The saga waits for nothing: compensate it from its page if it must be undone.',
          };
    }
  }
}

async function sagasOf(db: DbExecutor, rows: readonly DeadLetterRow[]): Promise<Map<string, SagaRow>> {
  const ids = [...new Set(rows.flatMap((r) => (r.sagaId ? [r.sagaId] : [])))];
  if (ids.length === 0) return new Map();
  const sagas = await db
    .select({
      id: sagaInstances.id,
      sagaType: sagaInstances.sagaType,
      status: sagaInstances.status,
      state: sagaInstances.state,
    })
    .from(sagaInstances)
    .where(inArray(sagaInstances.id, ids));
  return new Map(sagas.map((s) => [s.id, s]));
}

/**
 * One dead letter's replay, described: the saga and step (a step of `catalog`'s sagas), whether it
 * still waits, the verdict and the effect.
 */
export async function previewReplay(
  db: DbExecutor,
  catalog: SagaCatalog,
  row: DeadLetterRow,
  body?: { payload: unknown },
) {
  const saga = (await sagasOf(db, [row])).get(row.sagaId ?? '');
  const check = checkReplay(row, saga, body);
  const state = saga?.state as SagaStateView | undefined;
  const awaiting = state?.awaiting ?? null;
  const isCommand = row.messageType in commandContracts;
  const since =
    saga && row.sagaId
      ? await db
          .select({ at: sagaEvents.createdAt, kind: sagaEvents.kind, messageType: sagaEvents.messageType })
          .from(sagaEvents)
          .where(and(eq(sagaEvents.sagaId, row.sagaId), gte(sagaEvents.createdAt, row.firstFailedAt)))
          .orderBy(asc(sagaEvents.id))
          .limit(20)
      : [];
  const payload = check.ok ? check.payload : (body?.payload ?? safeJson(row.body));
  return {
    deadLetterId: row.id,
    messageType: row.messageType,
    messageId: row.messageId,
    kind: isCommand
      ? ('command' as const)
      : row.messageType in replyContracts
        ? ('reply' as const)
        : ('other' as const),
    step: stepOf(catalog, row.messageType, saga?.sagaType),
    saga: saga
      ? {
          id: saga.id,
          status: saga.status,
          awaiting: awaiting
            ? {
                type: awaiting.type,
                messageId: awaiting.messageId,
                step: awaiting.step,
                phase: awaiting.phase,
              }
            : null,
        }
      : null,
    waitingForThis: isCommand && saga ? waitsFor(state, row.messageId) : null,
    since: since.map((e) => ({ at: e.at.toISOString(), kind: e.kind, messageType: e.messageType })),
    willReplay: check.ok,
    refusal: check.ok ? null : { status: check.status, code: check.code, detail: check.detail },
    errors: check.ok ? [] : [...(check.errors ?? [])],
    suggestion: check.ok ? null : suggestionFor(check, saga),
    effect: effectOf(row.messageType, payload, row.sagaId),
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** A bulk replay's dry run: the job a request would start, counted as its runner would count it. */
export interface BulkPreview {
  readonly total: number;
  readonly wouldReplay: number;
  readonly wouldSkip: number;
  readonly wouldFail: number;
  readonly reasons: { code: RefusalCode; outcome: 'skipped' | 'failed'; count: number; example: string }[];
  /** Why the job itself would not start (it then replays nothing); null when it would. */
  readonly refusal: {
    status: 409 | 422;
    reason: 'unknown-ids' | 'nothing-open' | 'too-many-open';
    detail: string;
  } | null;
}

const CHUNK = 1_000;

/** Counts what a bulk replay of `request` would replay, skip (and why) or fail, without writing. */
export async function previewBulk(
  db: DbExecutor,
  actor: Actor,
  request: CreateReplayJob,
  openJobLimit: number,
): Promise<BulkPreview> {
  const ids = await selectIds(db, request);
  let refusal: BulkPreview['refusal'] = null;
  if (request.ids) {
    const { unknownIds, anyOpen } = await checkIds(db, ids);
    if (unknownIds.length > 0)
      refusal = {
        status: 422,
        reason: 'unknown-ids',
        detail: `${unknownIds.length} of the ids name no dead letter`,
      };
    else if (!anyOpen)
      refusal = { status: 422, reason: 'nothing-open', detail: 'No open dead letter matches the selection.' };
  } else if (ids.length === 0) {
    refusal = { status: 422, reason: 'nothing-open', detail: 'No open dead letter matches the selection.' };
  }
  if (!refusal) {
    const open = await db
      .select({ id: replayJobs.id })
      .from(replayJobs)
      .where(and(eq(replayJobs.createdById, actor.id), inArray(replayJobs.status, ['queued', 'running'])));
    if (open.length >= openJobLimit)
      refusal = {
        status: 409,
        reason: 'too-many-open',
        detail: `You already have ${open.length} queued or running replay jobs, the most one operator may have (${openJobLimit}).`,
      };
  }
  const counts = { wouldReplay: 0, wouldSkip: 0, wouldFail: 0 };
  const reasons = new Map<RefusalCode, BulkPreview['reasons'][number]>();
  for (let i = 0; i < ids.length; i += CHUNK) {
    const chunk = ids.slice(i, i + CHUNK);
    const rows = await db.select().from(deadLetters).where(inArray(deadLetters.id, chunk));
    const byId = new Map(rows.map((r) => [r.id, r]));
    const sagas = await sagasOf(db, rows);
    for (const id of chunk) {
      const row = byId.get(id);
      const check: ReturnType<typeof checkReplay> = row
        ? checkReplay(row, row.sagaId ? sagas.get(row.sagaId) : undefined)
        : { ok: false, status: 409, outcome: 'skipped', code: 'not-found', detail: `no dead letter ${id}` };
      if (check.ok) {
        counts.wouldReplay += 1;
        continue;
      }
      if (check.outcome === 'skipped') counts.wouldSkip += 1;
      else counts.wouldFail += 1;
      const seen = reasons.get(check.code);
      if (seen) seen.count += 1;
      else
        reasons.set(check.code, {
          code: check.code,
          outcome: check.outcome,
          count: 1,
          example: check.detail,
        });
    }
  }
  return { total: ids.length, ...counts, reasons: [...reasons.values()], refusal };
}
