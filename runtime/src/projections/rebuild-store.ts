// What a projection rebuild keeps in PostgreSQL: its claim (one at a time per projection) and its progress.
import type postgres from 'postgres';
import { dateOrNull } from './store.js';

type Sql = postgres.Sql | postgres.TransactionSql;

export const RebuildState = {
  running: 'running',
  swapping: 'swapping',
  done: 'done',
  failed: 'failed',
} as const;
export type RebuildState = (typeof RebuildState)[keyof typeof RebuildState];

/** A rebuild's progress. */
export interface RebuildStatus {
  readonly id: number;
  readonly projection: string;
  readonly state: RebuildState;
  readonly appliedEvents: number;
  /** The last stream offset applied to the shadow tables; -1 before the first. */
  readonly streamOffset: number;
  /** The stream's last offset when the rebuild started (-1: empty). */
  readonly targetOffset: number;
  readonly lastEventAt: Date | null;
  readonly startedBy: string;
  readonly startedAt: Date;
  readonly finishedAt: Date | null;
  readonly error: string | null;
  readonly owner: string;
  readonly heartbeatAt: Date;
}

const COLUMNS = `id::int8 as id, projection, state, applied_events::int8 as "appliedEvents",
  stream_offset::int8 as "streamOffset", target_offset::int8 as "targetOffset", last_event_at as "lastEventAt",
  started_by as "startedBy", started_at as "startedAt", finished_at as "finishedAt", error, owner,
  heartbeat_at as "heartbeatAt"`;

function toStatus(row: Record<string, unknown>): RebuildStatus {
  return {
    ...(row as unknown as RebuildStatus),
    id: Number(row.id),
    appliedEvents: Number(row.appliedEvents),
    streamOffset: Number(row.streamOffset),
    targetOffset: Number(row.targetOffset),
    lastEventAt: dateOrNull(row.lastEventAt),
    startedAt: dateOrNull(row.startedAt)!,
    finishedAt: dateOrNull(row.finishedAt),
    heartbeatAt: dateOrNull(row.heartbeatAt)!,
  };
}

/** A rebuild was asked for while another of the same projection runs. */
export class RebuildAlreadyRunning extends Error {
  constructor(readonly running: RebuildStatus) {
    super(`a rebuild of ${running.projection} is ${running.state} already (rebuild ${running.id})`);
    this.name = 'RebuildAlreadyRunning';
  }
}

/**
 * Claims a rebuild of `projection` for `owner`: fails with `RebuildAlreadyRunning` if one runs
 * (one whose process fell silent for `staleMs` is marked failed and no longer counts). The
 * advisory lock serialises two claims; the partial unique index backs it up.
 */
export async function claimRebuild(
  sql: postgres.Sql,
  claim: { projection: string; owner: string; startedBy: string; targetOffset: number; staleMs: number },
  /** Runs in the claim's transaction (an audit row commits with the claim or not at all). */
  onClaimed?: (tx: postgres.TransactionSql, status: RebuildStatus) => Promise<unknown>,
): Promise<RebuildStatus> {
  return sql.begin(async (tx) => {
    await tx`select pg_advisory_xact_lock(hashtext(${`projection-rebuild:${claim.projection}`}))`;
    await tx`
      update projections.rebuilds set state = 'failed', finished_at = now(),
        error = 'abandoned: the process running it stopped answering'
      where projection = ${claim.projection} and state in ('running', 'swapping')
        and heartbeat_at < now() - make_interval(secs => ${claim.staleMs / 1000})`;
    const [active] = await tx.unsafe(
      `select ${COLUMNS} from projections.rebuilds where projection = $1 and state in ('running', 'swapping')`,
      [claim.projection],
    );
    if (active) throw new RebuildAlreadyRunning(toStatus(active));
    const [row] = await tx.unsafe(
      `insert into projections.rebuilds (projection, stream_offset, target_offset, started_by, owner)
       values ($1, -1, $2, $3, $4) returning ${COLUMNS}`,
      [claim.projection, claim.targetOffset, claim.startedBy, claim.owner],
    );
    const status = toStatus(row!);
    await onClaimed?.(tx, status);
    return status;
  });
}

export async function readRebuild(sql: Sql, id: number): Promise<RebuildStatus | null> {
  const rows = await sql.unsafe(`select ${COLUMNS} from projections.rebuilds where id = $1`, [id]);
  return rows[0] ? toStatus(rows[0]) : null;
}

/** The latest rebuild of each projection that had one. */
export async function latestRebuilds(sql: Sql): Promise<Map<string, RebuildStatus>> {
  const rows = await sql.unsafe(
    `select distinct on (projection) ${COLUMNS} from projections.rebuilds order by projection, id desc`,
  );
  return new Map(rows.map((row) => [row.projection as string, toStatus(row)]));
}

/** Ends a rebuild as failed with `error` (unless it ended already). */
export async function failRebuild(sql: Sql, id: number, error: string): Promise<void> {
  await sql`
    update projections.rebuilds set state = 'failed', error = ${error.slice(0, 4000)}, finished_at = now()
    where id = ${id} and state in ('running', 'swapping')`;
}
