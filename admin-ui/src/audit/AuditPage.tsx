// The audit log: who did what to which target, newest first, filterable and shareable by URL.
import { useInfiniteQuery } from '@tanstack/react-query';
import { listAudit } from '../api/operations.js';
import type { AuditEntry } from '../api/types.js';
import { FilterBar, type FilterField } from '../filters/FilterBar.js';
import { activeFilters, compact } from '../filters/urlFilters.js';
import { useUrlFilters } from '../filters/useUrlFilters.js';
import { PageHeader } from '../Layout.js';
import { buildPath } from '../router/match.js';
import { Link } from '../router/router.js';
import { formatTime } from '../ui/format.js';
import { JsonView } from '../ui/JsonView.js';
import { LoadMore } from '../ui/LoadMore.js';
import { Empty, QueryView } from '../ui/states.js';

export const auditFilterSpecs = {
  actor: {},
  action: {},
  targetType: {},
  targetId: {},
  from: {},
  to: {},
} as const;
type AuditKey = keyof typeof auditFilterSpecs;

const fields: readonly FilterField<AuditKey>[] = [
  { key: 'actor', label: 'Actor', kind: 'text', placeholder: 'email' },
  { key: 'action', label: 'Action', kind: 'text', placeholder: 'e.g. dead-letter.replay' },
  { key: 'targetType', label: 'Target type', kind: 'text', placeholder: 'saga, dead-letter, …' },
  { key: 'targetId', label: 'Target id', kind: 'text' },
  { key: 'from', label: 'After', kind: 'datetime' },
  { key: 'to', label: 'Before', kind: 'datetime' },
];

/** Where an audited target lives in the console, when it has a page. */
export function targetHref(entry: Pick<AuditEntry, 'targetType' | 'targetId'>): string | undefined {
  if (!entry.targetId) return undefined;
  const pattern = {
    saga: '/sagas/:id',
    'dead-letter': '/dead-letters/:id',
    'replay-job': '/replay-jobs/:id',
  }[entry.targetType];
  return pattern ? buildPath(pattern, { id: entry.targetId }) : undefined;
}

export function AuditPage() {
  const [filters, update] = useUrlFilters(auditFilterSpecs);
  const query = compact({ ...filters });
  const pages = useInfiniteQuery({
    queryKey: ['audit', query],
    queryFn: ({ pageParam }) => listAudit({ ...query, ...(pageParam ? { cursor: pageParam } : {}) }),
    initialPageParam: '',
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const active = activeFilters(filters, auditFilterSpecs);
  return (
    <>
      <PageHeader
        title="Audit log"
        subtitle="Every change made through the console, with who made it and why."
      />
      <FilterBar
        label="Filter the audit log"
        fields={fields}
        values={filters}
        activeCount={active.length}
        onChange={update}
        onClear={() => update({ actor: '', action: '', targetType: '', targetId: '', from: '', to: '' })}
      />
      <QueryView
        query={{ ...pages, data: pages.data?.pages.flatMap((p) => p.items) }}
        loadingLabel="Loading the audit log…"
      >
        {(items) =>
          items.length === 0 ? (
            <Empty title="No audit entries match these filters" />
          ) : (
            <>
              <div className="table-wrap">
                <table className="table">
                  <caption className="sr-only">Audit log, newest first</caption>
                  <thead>
                    <tr>
                      <th scope="col">When</th>
                      <th scope="col">Who</th>
                      <th scope="col">Action</th>
                      <th scope="col">Target</th>
                      <th scope="col">Detail</th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((entry) => (
                      <AuditRow key={entry.id} entry={entry} />
                    ))}
                  </tbody>
                </table>
              </div>
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

function AuditRow({ entry }: { entry: AuditEntry }) {
  const href = targetHref(entry);
  return (
    <tr>
      <td className="nowrap">{formatTime(entry.at)}</td>
      <td>{entry.actorEmail}</td>
      <td>
        <code>{entry.action}</code>
      </td>
      <td>
        {entry.targetType}{' '}
        {href ? (
          <Link to={href} className="mono small">
            {entry.targetId}
          </Link>
        ) : (
          <span className="mono small">{entry.targetId ?? ''}</span>
        )}
      </td>
      <td className="nowrap">
        {entry.detail !== null && entry.detail !== undefined ? (
          <details>
            <summary>Show</summary>
            <JsonView label={`Detail of ${entry.action}`} value={entry.detail} />
          </details>
        ) : (
          '—'
        )}
      </td>
    </tr>
  );
}
