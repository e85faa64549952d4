// The saga list's filters: what the URL may hold and what goes to the API.
import type { SagaQuery } from '../api/sagas.js';
import type { FilterField } from '../filters/FilterBar.js';
import { compact, type FilterSpecs, type FilterValues } from '../filters/urlFilters.js';

/** The checkout saga's steps, in order (see docs/architecture.md). */
export const sagaSteps = [
  { name: 'createOrder', command: 'order.create' },
  { name: 'reserveStock', command: 'inventory.reserve' },
  { name: 'chargePayment', command: 'payment.charge' },
  { name: 'scheduleShipping', command: 'shipping.schedule' },
  { name: 'confirmOrder', command: 'order.confirm' },
] as const;

const ages = [
  ['60', 'older than 1 minute'],
  ['300', 'older than 5 minutes'],
  ['900', 'older than 15 minutes'],
  ['3600', 'older than 1 hour'],
  ['86400', 'older than 1 day'],
] as const;

export const sagaFilterSpecs = {
  q: {},
  status: { allowed: ['running', 'compensating', 'completed', 'compensated', 'failed'] },
  step: {},
  stuck: { allowed: ['true'] },
  olderThanSeconds: { allowed: ages.map(([seconds]) => seconds) },
} as const satisfies FilterSpecs<string>;

export type SagaFilterKey = keyof typeof sagaFilterSpecs;
export type SagaFilters = FilterValues<SagaFilterKey>;

export function toSagaQuery(filters: SagaFilters): SagaQuery {
  // Status and step come from the allowed lists (readFilters checks the status; the API rejects an unknown step).
  const query = compact({
    q: filters.q,
    status: filters.status as SagaQuery['status'],
    step: filters.step as SagaQuery['step'],
  });
  return {
    ...query,
    ...(filters.stuck === 'true' ? { stuck: 'true' as const } : {}),
    ...(filters.olderThanSeconds ? { olderThanSeconds: Number(filters.olderThanSeconds) } : {}),
  };
}

export const sagaFilterFields: readonly FilterField<SagaFilterKey>[] = [
  {
    key: 'q',
    label: 'Search',
    kind: 'text',
    placeholder: 'saga id, order id, customer id or email',
    wide: true,
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
      ...sagaSteps.map((s) => ({ value: s.name, label: `${s.name} (${s.command})` })),
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
