// Sagas of every registered type: search by id or business key; filter by type, status, step, stuck and age; newest first.
import { useInfiniteQuery } from '@tanstack/react-query';
import { listSagas } from '../api/sagas.js';
import type { SagaSummary } from '../api/types.js';
import { FilterBar } from '../filters/FilterBar.js';
import { activeFilters } from '../filters/urlFilters.js';
import { useUrlFilters } from '../filters/useUrlFilters.js';
import { PageHeader } from '../Layout.js';
import { buildPath } from '../router/match.js';
import { Link } from '../router/router.js';
import { Badge, StatusBadge } from '../ui/badges.js';
import { formatAgo, formatMoney, formatTime, shortId } from '../ui/format.js';
import { LoadMore } from '../ui/LoadMore.js';
import { Empty, QueryView } from '../ui/states.js';
import { useSagaDefinitions } from './definitions.js';
import { sagaFilterFields, sagaFilterSpecs, toSagaQuery } from './filters.js';

export function SagasPage() {
  const [filters, update] = useUrlFilters(sagaFilterSpecs);
  const query = toSagaQuery(filters);
  const active = activeFilters(filters, sagaFilterSpecs);
  const definitions = useSagaDefinitions();
  const pages = useInfiniteQuery({
    queryKey: ['sagas', query],
    queryFn: ({ pageParam }) => listSagas({ ...query, ...(pageParam ? { cursor: pageParam } : {}) }),
    initialPageParam: '',
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  return (
    <>
      <PageHeader
        title="Sagas"
        subtitle="Every saga (checkouts, order cancellations…), newest first. Open one to see its timeline."
      />
      <FilterBar
        label="Filter sagas"
        fields={sagaFilterFields(definitions, filters.type)}
        values={filters}
        activeCount={active.length}
        onChange={update}
        onClear={() => update({ q: '', type: '', status: '', step: '', stuck: '', olderThanSeconds: '' })}
      />
      <QueryView
        query={{ ...pages, data: pages.data?.pages.flatMap((p) => p.items) }}
        loadingLabel="Loading sagas…"
      >
        {(items) =>
          items.length === 0 ? (
            <Empty title="No saga matches these filters" />
          ) : (
            <>
              <SagaTable sagas={items} />
              <LoadMore
                shown={items.length}
                hasMore={pages.hasNextPage}
                loading={pages.isFetchingNextPage}
                onLoadMore={() => void pages.fetchNextPage()}
              />
            </>
          )
        }
      </QueryView>
    </>
  );
}

/** A table of sagas; also used by the overview for stuck sagas. */
export function SagaTable({
  sagas,
  caption = 'Sagas, newest first',
}: {
  sagas: readonly SagaSummary[];
  caption?: string;
}) {
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Saga</th>
            <th scope="col">Type</th>
            <th scope="col">Order</th>
            <th scope="col">Customer</th>
            <th scope="col">Status</th>
            <th scope="col">Step</th>
            <th scope="col" className="num">
              Total
            </th>
            <th scope="col">Age</th>
          </tr>
        </thead>
        <tbody>
          {sagas.map((saga) => (
            <tr key={saga.id}>
              <td className="mono">
                <Link to={buildPath('/sagas/:id', { id: saga.id })} title={saga.id}>
                  {shortId(saga.id)}
                </Link>
              </td>
              <td className="small">{saga.type}</td>
              <td className="mono small" title={saga.orderId ?? ''}>
                {shortId(saga.orderId)}
              </td>
              <td>
                <div>{saga.customerId ?? '—'}</div>
                <div className="muted small">{saga.email ?? ''}</div>
              </td>
              <td>
                <span className="badges">
                  <StatusBadge status={saga.status} />
                  {saga.stuck ? <Badge tone="danger">stuck</Badge> : null}
                  {saga.openDeadLetters > 0 ? (
                    <Badge tone="warning">{`${saga.openDeadLetters} DLQ`}</Badge>
                  ) : null}
                </span>
              </td>
              <td className="mono small">{saga.currentStep ?? '—'}</td>
              <td className="num">{formatMoney(saga.totalCents, saga.currency)}</td>
              <td title={formatTime(saga.createdAt)}>{formatAgo(saga.createdAt)}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
