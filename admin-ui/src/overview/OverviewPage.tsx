// Overview: sagas by status, throughput and failure rate over the last hour, sales, dead letters per queue, queue health, stuck sagas.
import { useQuery } from '@tanstack/react-query';
import { listDeadLetterGroups } from '../api/deadLetters.js';
import { fetchQueues } from '../api/operations.js';
import { fetchSagaStats, listSagas } from '../api/sagas.js';
import { PageHeader } from '../Layout.js';
import { ReadinessBadge, type Readiness } from '../ReadinessBadge.js';
import { sortQueues } from '../queues/health.js';
import { QueueTable } from '../queues/QueueTable.js';
import { Link } from '../router/router.js';
import { SagaTable } from '../sagas/SagasPage.js';
import { BarChart } from '../ui/BarChart.js';
import { Empty, QueryView } from '../ui/states.js';
import { DeadLettersByQueue } from './DeadLettersByQueue.js';
import { SalesPanel } from './SalesPanel.js';
import { StatusCards } from './StatusCards.js';
import { usePollInterval } from '../live/LiveUpdates.js';

/** The backend's /readyz answer (503 with the same shape when not ready). */
async function fetchReadiness(): Promise<Readiness> {
  const response = await fetch('/readyz');
  const body = (await response.json().catch(() => ({}))) as Partial<Readiness>;
  return { status: body.status ?? (response.ok ? 'ready' : 'not-ready'), checks: body.checks ?? {} };
}

/** The width of the throughput buckets, in minutes (the API sends 5-minute buckets). */
export function bucketMinutes(buckets: readonly { start: string }[]): number {
  const [first, second] = buckets;
  return first && second
    ? Math.max(1, Math.round((Date.parse(second.start) - Date.parse(first.start)) / 60_000))
    : 5;
}

/** Every figure on the page refreshes this often. */
export const OVERVIEW_REFRESH_MS = 5_000;

const outcomes = [
  { key: 'completed', label: 'Completed', colour: 'var(--success)' },
  { key: 'compensated', label: 'Compensated', colour: 'var(--warning)' },
  { key: 'failed', label: 'Failed', colour: 'var(--danger)' },
] as const;

export function OverviewPage() {
  // Sagas and dead letters arrive on the live stream; queue depths and readiness come from the
  // broker and the probes, which no stream reports: those keep polling.
  const refetchInterval = usePollInterval();
  const stats = useQuery({ queryKey: ['saga-stats'], queryFn: fetchSagaStats, refetchInterval });
  const queues = useQuery({
    queryKey: ['queues'],
    queryFn: fetchQueues,
    refetchInterval: OVERVIEW_REFRESH_MS,
  });
  const groups = useQuery({
    queryKey: ['dead-letter-groups', { status: 'open' }],
    queryFn: () => listDeadLetterGroups({ status: 'open' }),
    refetchInterval,
  });
  const stuck = useQuery({
    queryKey: ['sagas', { stuck: 'true', limit: 10 }],
    queryFn: () => listSagas({ stuck: 'true', limit: 10 }),
    refetchInterval,
  });
  const readiness = useQuery({
    queryKey: ['readyz'],
    queryFn: fetchReadiness,
    refetchInterval: OVERVIEW_REFRESH_MS,
  });
  const updated = stats.dataUpdatedAt ? new Date(stats.dataUpdatedAt).toLocaleTimeString() : '—';
  return (
    <>
      <PageHeader
        title="Overview"
        subtitle={`Sagas and dead letters update as they change; queues every ${OVERVIEW_REFRESH_MS / 1000} seconds · updated ${updated}`}
      />
      <QueryView query={stats} loadingLabel="Loading saga figures…">
        {(s) => (
          <>
            <StatusCards stats={s} />
            <section className="panel" aria-label="Throughput, last hour">
              <h2 className="panel__title">
                Sagas ended per {bucketMinutes(s.lastHour.buckets)} minutes, last hour
              </h2>
              <BarChart
                buckets={s.lastHour.buckets}
                series={outcomes}
                label="Sagas completed, compensated and failed per bucket over the last hour"
              />
            </section>
          </>
        )}
      </QueryView>
      <SalesPanel refreshMs={OVERVIEW_REFRESH_MS} />
      <div className="detail-grid">
        <section className="panel" aria-label="Open dead letters per queue">
          <h2 className="panel__title">
            Open dead letters per queue{' '}
            <Link to="/dead-letters" className="panel__link">
              all groups
            </Link>
          </h2>
          <QueryView query={groups}>
            {(items) => <DeadLettersByQueue groups={items} queues={queues.data?.items ?? []} />}
          </QueryView>
        </section>
        <section className="panel" aria-label="Stuck sagas">
          <h2 className="panel__title">
            Stuck sagas{' '}
            <Link to="/sagas?stuck=true" className="panel__link">
              all stuck
            </Link>
          </h2>
          <QueryView query={stuck}>
            {(page) =>
              page.items.length === 0 ? (
                <Empty title="No stuck saga">Every running saga is within its step deadline.</Empty>
              ) : (
                <SagaTable sagas={page.items} caption="Stuck sagas" />
              )
            }
          </QueryView>
        </section>
      </div>
      <section className="panel" aria-label="Queue health">
        <h2 className="panel__title">
          Queue health{' '}
          <Link to="/queues" className="panel__link">
            all queues
          </Link>
        </h2>
        <QueryView query={queues}>
          {(list) =>
            list.available ? (
              <QueueTable
                queues={sortQueues(
                  list.items.filter(
                    (q) => q.role === 'work' || q.role === 'replies' || q.role === 'dead-letter',
                  ),
                )}
                rates={false}
                caption="Work, reply and dead-letter queues"
              />
            ) : (
              <div className="banner banner--warning" role="alert">
                The RabbitMQ management API cannot be reached{list.error ? `: ${list.error}` : ''}.
              </div>
            )
          }
        </QueryView>
      </section>
      <section className="panel" aria-label="Backend">
        <h2 className="panel__title">Backend</h2>
        <ReadinessBadge state={readiness.isError ? { status: 'unreachable', checks: {} } : readiness.data} />
      </section>
    </>
  );
}
