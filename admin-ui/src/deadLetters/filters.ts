// The dead-letter views' filters: what the URL may hold and what goes to the API.
import type { DeadLetterQuery } from '../api/deadLetters.js';
import type { DeadLetterFacets } from '../api/types.js';
import type { FilterField } from '../filters/FilterBar.js';
import { compact, type FilterSpecs, type FilterValues } from '../filters/urlFilters.js';

export const deadLetterFilterSpecs = {
  view: { allowed: ['groups', 'list'], default: 'groups' },
  status: { allowed: ['open', 'replayed', 'discarded', 'all'], default: 'open' },
  queue: {},
  messageType: {},
  errorClass: {},
  sagaId: {},
  fingerprint: {},
  q: {},
  from: {},
  to: {},
} as const satisfies FilterSpecs<string>;

export type DeadLetterFilterKey = keyof typeof deadLetterFilterSpecs;
export type DeadLetterFilters = FilterValues<DeadLetterFilterKey>;

/** The API query of the filters (the view is the console's own; `all` statuses means no status filter). */
export function toDeadLetterQuery(filters: DeadLetterFilters): DeadLetterQuery {
  // The status is one of the allowed values (readFilters checks), or 'all' for none.
  const status = filters.status === 'all' ? undefined : (filters.status as DeadLetterQuery['status']);
  return compact({
    status,
    queue: filters.queue,
    messageType: filters.messageType,
    errorClass: filters.errorClass,
    sagaId: filters.sagaId,
    fingerprint: filters.fingerprint,
    q: filters.q,
    from: filters.from,
    to: filters.to,
  });
}

const anyOf = (label: string, values: readonly string[] = []) => [
  { value: '', label },
  ...values.map((value) => ({ value, label: value })),
];

/** The filter form's fields; the choices come from the archive's facets. */
export function deadLetterFilterFields(
  facets: DeadLetterFacets | undefined,
): FilterField<DeadLetterFilterKey>[] {
  return [
    { key: 'q', label: 'Search', kind: 'text', placeholder: 'error text, message id or body', wide: true },
    {
      key: 'status',
      label: 'Status',
      kind: 'select',
      options: [
        { value: 'open', label: 'Open' },
        { value: 'replayed', label: 'Replayed' },
        { value: 'discarded', label: 'Discarded' },
        { value: 'all', label: 'Any status' },
      ],
    },
    { key: 'queue', label: 'Queue', kind: 'select', options: anyOf('Any queue', facets?.queues) },
    {
      key: 'messageType',
      label: 'Message type',
      kind: 'select',
      options: anyOf('Any type', facets?.messageTypes),
    },
    {
      key: 'errorClass',
      label: 'Error class',
      kind: 'select',
      options: anyOf('Any error', facets?.errorClasses),
    },
    { key: 'sagaId', label: 'Saga id', kind: 'text', placeholder: 'uuid' },
    { key: 'from', label: 'Failed after', kind: 'datetime' },
    { key: 'to', label: 'Failed before', kind: 'datetime' },
  ];
}
