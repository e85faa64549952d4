// The saga list's filters: what the URL may hold and what goes to the API.
import type { SagaQuery } from '../api/sagas.js';
import type { SagaDefinition } from '../api/types.js';
import type { FilterField } from '../filters/FilterBar.js';
import { compact, type FilterSpecs, type FilterValues } from '../filters/urlFilters.js';

const ages = [
  ['60', 'older than 1 minute'],
  ['300', 'older than 5 minutes'],
  ['900', 'older than 15 minutes'],
  ['3600', 'older than 1 hour'],
  ['86400', 'older than 1 day'],
] as const;

export const sagaFilterSpecs = {
  q: {},
  type: {},
  status: { allowed: ['running', 'compensating', 'completed', 'compensated', 'failed', 'rejected'] },
  step: {},
  stuck: { allowed: ['true'] },
  olderThanSeconds: { allowed: ages.map(([seconds]) => seconds) },
} as const satisfies FilterSpecs<string>;

export type SagaFilterKey = keyof typeof sagaFilterSpecs;
export type SagaFilters = FilterValues<SagaFilterKey>;

export function toSagaQuery(filters: SagaFilters): SagaQuery {
  // Status and step come from the allowed lists (readFilters checks the status; the API rejects an unknown type or step).
  const query = compact({
    q: filters.q,
    type: filters.type as SagaQuery['type'],
    status: filters.status as SagaQuery['status'],
    step: filters.step as SagaQuery['step'],
  });
  return {
    ...query,
    ...(filters.stuck === 'true' ? { stuck: 'true' as const } : {}),
    ...(filters.olderThanSeconds ? { olderThanSeconds: Number(filters.olderThanSeconds) } : {}),
  };
}

/**
 * The saga list's filter fields. The saga types and steps come from the registered definitions
 * (GET /sagas/definitions); with a type chosen, only its steps are offered.
 */
export function sagaFilterFields(
  definitions: readonly SagaDefinition[],
  type: string,
): readonly FilterField<SagaFilterKey>[] {
  const shown = type ? definitions.filter((d) => d.name === type) : definitions;
  const steps = new Map<string, string>();
  for (const definition of shown)
    for (const step of definition.steps) if (!steps.has(step.name)) steps.set(step.name, step.command);
  return [
    {
      key: 'q',
      label: 'Search',
      kind: 'text',
      placeholder: 'saga id, order id, customer id or email',
      wide: true,
    },
    {
      key: 'type',
      label: 'Type',
      kind: 'select',
      options: [
        { value: '', label: 'Any saga type' },
        ...definitions.map((d) => ({ value: d.name, label: d.name })),
      ],
    },
    {
      key: 'status',
      label: 'Status',
      kind: 'select',
      options: [
        { value: '', label: 'Any status' },
        ...sagaFilterSpecs.status.allowed.map((s) => ({ value: s, label: s })),
      ],
    },
    {
      key: 'step',
      label: 'Step',
      kind: 'select',
      options: [
        { value: '', label: 'Any step' },
        ...[...steps].map(([name, command]) => ({ value: name, label: `${name} (${command})` })),
      ],
    },
    {
      key: 'stuck',
      label: 'Stuck',
      kind: 'select',
      options: [
        { value: '', label: 'All sagas' },
        { value: 'true', label: 'Stuck only' },
      ],
    },
    {
      key: 'olderThanSeconds',
      label: 'Age',
      kind: 'select',
      options: [{ value: '', label: 'Any age' }, ...ages.map(([value, label]) => ({ value, label }))],
    },
  ];
}
