// Replays dead letters through the outbox: checks the body against its contract and the saga, links the replay.
import { randomUUID } from 'node:crypto';
import {
  auditLog,
  deadLetters,
  enqueueOutbox,
  sagaInstances,
  type DbExecutor,
  type NewOutboxMessage,
} from '@sagaport/db';
import {
  commandContracts,
  FAILURE_HEADERS,
  formatIssues,
  Header,
  MESSAGE_BATCH_TYPE,
  sagaContracts,
} from '@sagaport/rabbitmq';
import { eq, inArray, sql } from 'drizzle-orm';
import type { FieldError } from '@sagaport/runtime';
import { waitsFor, type SagaStateView } from '../orchestration.js';
import type { Actor } from '../env.js';
import { uuidPattern } from './read.js';
import { replayHeaders } from './tracing.js';

export type DeadLetterRow = typeof deadLetters.$inferSelect;

/** Why a dead letter was not replayed; `status` is the HTTP answer for a single replay. */
/** Why a replay is refused, in a word: dry runs count refusals by it. */
export type RefusalCode =
  | 'not-found'
  | 'already-replayed'
  | 'already-discarded'
  | 'not-json'
  | 'contract'
  | 'saga-missing'
  | 'saga-moved-on';

export interface ReplayRefusal {
  readonly ok: false;
  readonly status: 409 | 422;
  readonly outcome: 'skipped' | 'failed';
  readonly code: RefusalCode;
  readonly detail: string;
  readonly errors?: readonly FieldError[];
}
export interface ReplayDone {
  readonly ok: true;
  readonly deadLetterId: string;
  readonly replayMessageId: string;
  readonly edited: boolean;
}
export type ReplayResult = ReplayDone | ReplayRefusal;

/** Field errors of `payload` against the contract of `messageType`; a type without a contract is one error. */
export function contractErrors(messageType: string, payload: unknown): FieldError[] {
  const contract = (sagaContracts as Record<string, (typeof sagaContracts)[keyof typeof sagaContracts]>)[
    messageType
  ];
  if (messageType === MESSAGE_BATCH_TYPE) {
    // Each command in it would need its own stale-step check against its saga.
    return [
      {
        field: 'type',
        message:
          'a batch of messages the broker dead-lettered whole (its consumer crashed on it, or it could not be read) is not replayed as one; its messages are listed in the body',
      },
    ];
  }
  if (!contract) return [{ field: 'type', message: `no contract knows message type "${messageType}"` }];
  const parsed = contract.safeParse(payload);
  if (parsed.success) return [];
  return formatIssues(parsed.error, 'body').map((line) => {
    const at = line.indexOf(': ');
    return { field: line.slice(0, at), message: line.slice(at + 2) };
  });
}

/** The stored body as JSON, or why it cannot be replayed unedited. */
export function storedPayload(
  row: DeadLetterRow,
): { ok: true; payload: unknown } | { ok: false; detail: string } {
  if (row.bodyEncoding !== 'utf8')
    return { ok: false, detail: 'the body is binary, not JSON: edit it before replaying' };
  try {
    return { ok: true, payload: JSON.parse(row.body) as unknown };
  } catch (error) {
    return {
      ok: false,
      detail: `the body is not valid JSON (${(error as Error).message}): edit it before replaying`,
    };
  }
}

const refuse = (
  status: 409 | 422,
  code: RefusalCode,
  detail: string,
  errors?: FieldError[],
): ReplayRefusal => ({
  ok: false,
  status,
  outcome: status === 409 ? 'skipped' : 'failed',
  code,
  detail,
  ...(errors ? { errors } : {}),
});

/** A command may only be replayed while its saga still waits for exactly that message. */
export function staleCommand(
  row: DeadLetterRow,
  saga: { status: string; state: unknown } | undefined,
): string | undefined {
  if (!(row.messageType in commandContracts) || !row.sagaId) return undefined;
  if (!saga) return `no saga ${row.sagaId} exists; a command without its saga cannot be replayed`;
  if (waitsFor(saga.state as SagaStateView, row.messageId)) return undefined;
  const awaiting = (saga.state as SagaStateView).awaiting;
  const waits = awaiting ? `waits for ${awaiting.type} (${awaiting.messageId})` : 'waits for nothing';
  return `saga ${row.sagaId} is ${saga.status} and ${waits}: replaying this command would run a stale step. Use the saga's operator actions (retry step, compensate) instead.`;
}

/** Decides whether `row` can be replayed (with `body` when edited) without writing anything. */
export function checkReplay(
  row: DeadLetterRow,
  saga: { status: string; state: unknown } | undefined,
  body?: { payload: unknown },
): { ok: true; payload: unknown } | ReplayRefusal {
  if (row.status !== 'open') {
    const when =
      row.status === 'replayed'
        ? `replayed at ${row.replayedAt?.toISOString()} by ${row.replayedBy}`
        : 'discarded';
    return refuse(
      409,
      row.status === 'replayed' ? 'already-replayed' : 'already-discarded',
      `dead letter ${row.id} was already ${when}`,
    );
  }
  const stored = body ? { ok: true as const, payload: body.payload } : storedPayload(row);
  if (!stored.ok) return refuse(422, 'not-json', stored.detail, [{ field: 'body', message: stored.detail }]);
  const errors = contractErrors(row.messageType, stored.payload);
  if (errors.length > 0) {
    return refuse(
      422,
      'contract',
      `the ${body ? 'edited' : 'original'} body breaks the ${row.messageType} contract`,
      errors,
    );
  }
  const stale = staleCommand(row, saga);
  if (stale) return refuse(409, saga ? 'saga-moved-on' : 'saga-missing', stale);
  return { ok: true, payload: stored.payload };
}

/**
 * Replays `ids` inside `tx` (locking their rows): one outbox row per replayable dead letter,
 * published with a confirm by the relay, with the original exchange, routing key and message id
 * (so an idempotent consumer that already processed it answers from its inbox), the row marked
 * replayed and an audit row — all in the same transaction. Refusals change nothing.
 */
export async function replayDeadLetters(
  tx: DbExecutor,
  actor: Actor,
  ids: readonly string[],
  options: { body?: { payload: unknown }; reason?: string; jobId?: string } = {},
): Promise<Map<string, ReplayResult>> {
  const results = new Map<string, ReplayResult>();
  if (ids.length === 0) return results;
  const rows = await tx
    .select()
    .from(deadLetters)
    .where(inArray(deadLetters.id, [...ids]))
    .orderBy(deadLetters.id)
    .for('update');
  const sagaIds = [...new Set(rows.flatMap((r) => (r.sagaId ? [r.sagaId] : [])))];
  const sagas = new Map(
    sagaIds.length === 0
      ? []
      : (
          await tx
            .select({ id: sagaInstances.id, status: sagaInstances.status, state: sagaInstances.state })
            .from(sagaInstances)
            .where(inArray(sagaInstances.id, sagaIds))
        ).map((s) => [s.id, s]),
  );
  const outbox: NewOutboxMessage[] = [];
  for (const id of ids) {
    const row = rows.find((r) => r.id === id);
    if (!row) {
      results.set(id, refuse(409, 'not-found', `no dead letter ${id}`));
      continue;
    }
    const check = checkReplay(row, row.sagaId ? sagas.get(row.sagaId) : undefined, options.body);
    if (!check.ok) {
      results.set(id, check);
      continue;
    }
    const replayMessageId = uuidPattern.test(row.messageId) ? row.messageId : randomUUID();
    const headers = Object.fromEntries(Object.entries(row.headers).filter(([k]) => !FAILURE_HEADERS.has(k)));
    outbox.push({
      messageId: replayMessageId,
      exchange: row.originalExchange,
      routingKey: row.originalRoutingKey,
      messageType: row.messageType,
      correlationId: row.sagaId,
      headers: replayHeaders(
        { ...headers, [Header.attempt]: 1, [Header.replayOf]: row.id },
        {
          type: row.messageType,
          messageId: replayMessageId,
          sagaId: row.sagaId,
          exchange: row.originalExchange,
          deadLetterId: row.id,
        },
      ),
      payload: check.payload,
    });
    results.set(id, { ok: true, deadLetterId: row.id, replayMessageId, edited: options.body !== undefined });
  }
  const done = [...results.values()].filter((r): r is ReplayDone => r.ok);
  if (done.length === 0) return results;
  await enqueueOutbox(tx, outbox);
  await tx
    .update(deadLetters)
    .set({
      status: 'replayed',
      replayedAt: sql`now()`,
      replayedBy: actor.email,
      replayEdited: options.body !== undefined,
      replayMessageId: sql`(${JSON.stringify(Object.fromEntries(done.map((d) => [d.deadLetterId, d.replayMessageId])))}::jsonb ->> ${deadLetters.id}::text)::uuid`,
    })
    .where(
      inArray(
        deadLetters.id,
        done.map((d) => d.deadLetterId),
      ),
    );
  // One audit row per replayed dead letter, written in one statement (bulk jobs replay many).
  await tx.insert(auditLog).values(
    done.map((d) => ({
      actorId: actor.id,
      actorEmail: actor.email,
      action: 'dead-letter.replay',
      targetType: 'dead-letter',
      targetId: d.deadLetterId,
      detail: {
        replayMessageId: d.replayMessageId,
        edited: d.edited,
        ...(options.reason ? { reason: options.reason } : {}),
        ...(options.jobId ? { jobId: options.jobId } : {}),
      },
    })),
  );
  return results;
}

/** Looks a dead letter up; undefined when there is none. */
export async function findDeadLetter(db: DbExecutor, id: string): Promise<DeadLetterRow | undefined> {
  const [row] = await db.select().from(deadLetters).where(eq(deadLetters.id, id));
  return row;
}
