// The publish budget every bulk replay job shares, across orchestrators: a token bucket in one PostgreSQL row.
import type { DbExecutor } from '@sagaport/db';
import { sql } from 'drizzle-orm';

/** What a take got: `granted` replays (0 to `wanted`), or how long to wait before asking again. */
export interface BudgetGrant {
  readonly granted: number;
  readonly waitMs: number;
}

/**
 * Takes up to `wanted` tokens from the shared bucket, which refills at `perSecond` and holds at
 * most a fifth of a second's worth (so a pause never turns into a burst). One short statement
 * on the bucket's row: runners on every orchestrator draw from the same budget, whatever the
 * number of jobs, and no lock is held while the replays are written.
 */
export async function takeReplayBudget(
  db: DbExecutor,
  wanted: number,
  perSecond: number,
): Promise<BudgetGrant> {
  const capacity = Math.max(1, perSecond / 5);
  const [row] = await db.execute<{ granted: number; available: number }>(sql`
    with cur as (
      select clock_timestamp() as at,
             least(${capacity}::float8,
                   tokens + extract(epoch from clock_timestamp() - refilled_at) * ${perSecond}::float8) as available
        from admin.replay_budget where id = 1 for update
    ), g as (
      select at, available, greatest(0, least(${wanted}::int, floor(available)::int)) as granted from cur
    )
    update admin.replay_budget b
       set tokens = g.available - g.granted, refilled_at = g.at
      from g
     where b.id = 1
    returning g.granted, g.available`);
  if (!row) throw new Error('admin.replay_budget has no row 1: the database is not migrated');
  const granted = Number(row.granted);
  if (granted > 0) return { granted, waitMs: 0 };
  // Until one whole token has refilled.
  return { granted, waitMs: Math.max(1, Math.ceil(((1 - Number(row.available)) / perSecond) * 1_000)) };
}
