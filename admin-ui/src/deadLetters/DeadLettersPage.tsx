// Dead letters: grouped by cause or listed one by one, every filter in the URL.
import { useQuery } from '@tanstack/react-query';
import { fetchDeadLetterFacets } from '../api/deadLetters.js';
import { FilterBar } from '../filters/FilterBar.js';
import { activeFilters, writeFilters } from '../filters/urlFilters.js';
import { useUrlFilters } from '../filters/useUrlFilters.js';
import { PageHeader } from '../Layout.js';
import { useSearchParams } from '../router/router.js';
import { DeadLetterList } from './DeadLetterList.js';
import { deadLetterFilterFields, deadLetterFilterSpecs, toDeadLetterQuery } from './filters.js';
import { GroupsTable } from './GroupsTable.js';

const views = [
  { value: 'groups', label: 'Grouped by cause' },
  { value: 'list', label: 'All dead letters' },
] as const;

export function DeadLettersPage() {
  const [filters, update] = useUrlFilters(deadLetterFilterSpecs);
  const [params] = useSearchParams();
  const facets = useQuery({
    queryKey: ['dead-letter-facets'],
    queryFn: fetchDeadLetterFacets,
    staleTime: 30_000,
  });
  const query = toDeadLetterQuery(filters);
  const active = activeFilters(filters, deadLetterFilterSpecs).filter((k) => k !== 'view');
  const listHref = (fingerprint: string) =>
    `/dead-letters?${writeFilters(params, deadLetterFilterSpecs, { view: 'list', fingerprint }).toString()}`;
  const clear = () => {
    const reset: Partial<Record<(typeof active)[number], string>> = {};
    for (const key of active) reset[key] = '';
    update(reset);
  };
  return (
    <>
      <PageHeader
        title="Dead letters"
        subtitle="Messages that failed for good, archived from every dead-letter queue. Replay them once the cause is fixed."
      />
      <div className="tabs" role="group" aria-label="View">
        {views.map((view) => (
          <button
            key={view.value}
            type="button"
            className="tab"
            aria-pressed={filters.view === view.value}
            onClick={() => update({ view: view.value })}
          >
            {view.label}
          </button>
        ))}
      </div>
      <FilterBar
        label="Filter dead letters"
        fields={deadLetterFilterFields(facets.data)}
        values={filters}
        activeCount={active.length}
        onChange={update}
        onClear={clear}
      />
      {filters.fingerprint ? (
        <p className="chip-row">
          <span className="chip">
            Group <code>{filters.fingerprint}</code>
            <button
              type="button"
              className="chip__remove"
              aria-label="Remove the group filter"
              onClick={() => update({ fingerprint: '' })}
            >
              ×
            </button>
          </span>
        </p>
      ) : null}
      {filters.view === 'list' ? (
        <DeadLetterList key={JSON.stringify(query)} query={query} />
      ) : (
        <GroupsTable query={query} listHref={listHref} />
      )}
    </>
  );
}
