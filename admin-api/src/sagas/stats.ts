// GET /sagas/stats: sagas per status, how many are stuck, and the last hour in five-minute buckets.
import { sagaInstances, type DbExecutor } from '@sagaport/db';
import { sql } from 'drizzle-orm';
import { SagaStatus } from '../orchestration.js';
import { stuckCondition } from './query.js';
import type { SagaStats } from './schemas.js';

const s = sagaInstances;
const BUCKETS = 12;
type Bucket = SagaStats['lastHour']['buckets'][number];
type Ending = 'completed' | 'compensated' | 'failed';
const endings: readonly string[] = [SagaStatus.completed, SagaStatus.compensated, SagaStatus.failed];

/**
 * Starts and ends per five-minute bucket, aligned on the clock (…:00, …:05), the current bucket
 * last: 12 buckets from 55 minutes before the current one's start. A saga counts as ended in
 * the bucket of its `ended_at`, with its current status.
 */
async function lastHourBuckets(db: DbExecutor): Promise<Bucket[]> {
  const rows = await db.execute<{ start_ms: string | number; what: string | null; n: string | number }>(sql`
    with win as (select date_bin('5 minutes', now(), timestamptz 'epoch') - interval '55 minutes' as start),
    marks as (
      select ${s.createdAt} as at, 'started' as what from ${s}, win where ${s.createdAt} >= win.start
      union all
      select ${s.endedAt}, ${s.status} from ${s}, win
        where ${s.endedAt} >= win.start and ${s.status} in ('completed', 'compensated', 'failed')
    )
    select (extract(epoch from b.start) * 1000)::float8 as start_ms, m.what, count(m.at)::int as n
    from win
      cross join generate_series(win.start, win.start + interval '55 minutes', interval '5 minutes') as b(start)
      left join marks m on m.at >= b.start and m.at < b.start + interval '5 minutes'
    group by b.start, m.what
    order by b.start`);
  const buckets = new Map<number, Bucket>();
  for (const row of rows) {
    const start = Number(row.start_ms);
    const bucket = buckets.get(start) ?? {
      start: new Date(start).toISOString(),
      started: 0,
      completed: 0,
      compensated: 0,
      failed: 0,
    };
    if (row.what === 'started' || (row.what && endings.includes(row.what))) {
      bucket[row.what as 'started' | Ending] = Number(row.n);
    }
    buckets.set(start, bucket);
  }
  return [...buckets.values()].slice(-BUCKETS);
}

/** The numbers the console's saga dashboard shows. */
export async function sagaStats(db: DbExecutor): Promise<SagaStats> {
  const [counts, [stuck], buckets] = await Promise.all([
    db
      .select({ status: s.status, n: sql<number>`count(*)::int` })
      .from(s)
      .groupBy(s.status),
    db
      .select({ n: sql<number>`count(*)::int` })
      .from(s)
      .where(stuckCondition),
    lastHourBuckets(db),
  ]);
  const byStatus = Object.fromEntries(Object.values(SagaStatus).map((status) => [status, 0])) as Record<
    SagaStatus,
    number
  >;
  for (const { status, n } of counts) if (status in byStatus) byStatus[status as SagaStatus] = n;
  const sum = (key: keyof Bucket) => buckets.reduce((total, b) => total + (b[key] as number), 0);
  const failures = sum('compensated') + sum('failed');
  const ended = failures + sum('completed');
  return {
    byStatus,
    stuck: stuck?.n ?? 0,
    lastHour: { buckets, failureRate: ended === 0 ? 0 : failures / ended },
  };
}
