// What a projection runner keeps in PostgreSQL: its checkpoint (offset, state, lease) and its parked events.
import type { RawEvent } from '@sagaport/rabbitmq';
import type postgres from 'postgres';

export type ProjectionState = 'running' | 'paused' | 'stopped';

export interface Checkpoint {
  readonly name: string;
  /** The last stream offset applied; -1 before the first. */
  readonly streamOffset: number;
  readonly lastEventAt: Date | null;
  readonly appliedEvents: number;
  readonly state: ProjectionState;
  readonly lastError: string | null;
  readonly owner: string | null;
  readonly leaseUntil: Date | null;
}

const CHECKPOINT_COLUMNS = `name, stream_offset::int8 as "streamOffset", last_event_at as "lastEventAt",
  applied_events::int8 as "appliedEvents", state, last_error as "lastError", owner, lease_until as "leaseUntil"`;

type Sql = postgres.Sql | postgres.TransactionSql | postgres.ReservedSql;

function toCheckpoint(row: Record<string, unknown>): Checkpoint {
  return {
    ...(row as unknown as Checkpoint),
    streamOffset: Number(row.streamOffset),
    appliedEvents: Number(row.appliedEvents),
    lastEventAt: dateOrNull(row.lastEventAt),
    leaseUntil: dateOrNull(row.leaseUntil),
  };
}

/** A timestamp column as a Date (pools whose parsers pass timestamps through return strings). */
export function dateOrNull(value: unknown): Date | null {
  if (value === null || value === undefined) return null;
  return value instanceof Date ? value : new Date(value as string);
}

/** Every projection's checkpoint (a projection that never ran has none). */
export async function readCheckpoints(sql: Sql): Promise<Checkpoint[]> {
  const rows = await sql.unsafe(`select ${CHECKPOINT_COLUMNS} from projections.checkpoints order by name`);
  return rows.map(toCheckpoint);
}

export async function readCheckpoint(sql: Sql, name: string): Promise<Checkpoint | null> {
  const rows = await sql.unsafe(`select ${CHECKPOINT_COLUMNS} from projections.checkpoints where name = $1`, [
    name,
  ]);
  return rows[0] ? toCheckpoint(rows[0]) : null;
}

/**
 * Takes (or renews) the lease of projection `name` for `owner`, for `leaseMs`: granted when no
 * one holds it, `owner` does, or the holder's lease ran out (a runner that died). Returns the
 * checkpoint when granted, null when another runner holds it.
 */
export async function takeLease(
  sql: Sql,
  name: string,
  owner: string,
  leaseMs: number,
): Promise<Checkpoint | null> {
  await sql`insert into projections.checkpoints (name, stream_offset) values (${name}, -1) on conflict (name) do nothing`;
  const rows = await sql.unsafe(
    `update projections.checkpoints
       set owner = $2, lease_until = now() + make_interval(secs => $3::float8 / 1000)
     where name = $1 and (owner is null or owner = $2 or lease_until < now())
     returning ${CHECKPOINT_COLUMNS}`,
    [name, owner, leaseMs],
  );
  return rows[0] ? toCheckpoint(rows[0]) : null;
}

/** Gives the lease up (a clean stop), so another runner takes over at once. */
export async function releaseLease(sql: Sql, name: string, owner: string): Promise<void> {
  await sql`update projections.checkpoints set owner = null, lease_until = null where name = ${name} and owner = ${owner}`;
}

/** Sets an operator's state: `paused` or `running` (resume; also restarts a stopped projection). */
export async function setProjectionState(sql: Sql, name: string, state: 'running' | 'paused'): Promise<void> {
  await sql`
    insert into projections.checkpoints (name, stream_offset, state) values (${name}, -1, ${state})
    on conflict (name) do update set state = excluded.state,
      last_error = case when excluded.state = 'running' then null else projections.checkpoints.last_error end,
      updated_at = now()`;
}

/** A parked event: the whole delivery and why the projection could not apply it. */
export interface ParkedEvent {
  readonly id: number;
  readonly projection: string;
  readonly streamOffset: number;
  /** Its place in that stream message (0 for a message of its own). */
  readonly eventIndex: number;
  readonly messageId: string | null;
  readonly messageType: string | null;
  readonly correlationId: string | null;
  readonly headers: Record<string, unknown>;
  readonly body: string;
  readonly error: string;
  readonly parkedAt: Date;
  readonly resolution: 'replayed' | 'skipped' | null;
  readonly resolvedBy: string | null;
  readonly resolvedAt: Date | null;
}

/** Parked events of `projection`, oldest first; open ones only unless `all`. */
export async function listParked(
  sql: Sql,
  projection: string,
  options: { all?: boolean; limit?: number } = {},
): Promise<ParkedEvent[]> {
  const rows = await sql<ParkedEvent[]>`
    select id::int8 as id, projection, stream_offset::int8 as "streamOffset", event_index as "eventIndex", message_id as "messageId",
      message_type as "messageType", correlation_id as "correlationId", headers, body, error,
      parked_at as "parkedAt", resolution, resolved_by as "resolvedBy", resolved_at as "resolvedAt"
    from projections.parked_events
    where projection = ${projection} and (${options.all ?? false} or resolved_at is null)
    order by id limit ${options.limit ?? 100}`;
  return rows.map((row) => ({
    ...row,
    id: Number(row.id),
    streamOffset: Number(row.streamOffset),
    parkedAt: dateOrNull(row.parkedAt)!,
    resolvedAt: dateOrNull(row.resolvedAt),
  }));
}

/** Open parked events per projection. */
export async function countOpenParked(sql: Sql): Promise<Map<string, number>> {
  const rows = await sql<{ projection: string; open: number }[]>`
    select projection, count(*)::int as open from projections.parked_events where resolved_at is null group by projection`;
  return new Map(rows.map((row) => [row.projection, row.open]));
}

/**
 * Parks an event the projection cannot apply, whole, in the caller's transaction: once per
 * event (its stream offset and its place in that message).
 */
export async function parkEvent(
  tx: Sql,
  projection: string,
  at: { readonly offset: number; readonly index: number },
  raw: RawEvent & { bodyText: string },
  error: string,
): Promise<void> {
  await tx`
    insert into projections.parked_events
      (projection, stream_offset, event_index, message_id, message_type, correlation_id, headers, body, error)
    values (${projection}, ${at.offset}, ${at.index}, ${stringOrNull(raw.messageId)}, ${stringOrNull(raw.type)},
      ${stringOrNull(raw.correlationId)}, ${JSON.stringify(jsonSafe(raw.headers))}::jsonb, ${raw.bodyText}, ${error.slice(0, 4000)})
    on conflict (projection, stream_offset, event_index) do nothing`;
}

function stringOrNull(value: unknown): string | null {
  return typeof value === 'string' ? value : null;
}

/** Headers as JSON: AMQP values such as bigints become numbers or strings. */
function jsonSafe(value: unknown): unknown {
  return JSON.parse(JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? Number(v) : v)));
}
