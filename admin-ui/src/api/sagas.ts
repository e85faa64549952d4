// Sagas: list, stats, detail with timeline, operator actions.
import { api, unwrap } from './client.js';
import type {
  Page,
  SagaDefinition,
  SagaDetail,
  SagaQuery,
  SagaStats,
  SagaSummary,
  SagaView,
} from './types.js';

export type { SagaQuery };

export function listSagas(query: SagaQuery): Promise<Page<SagaSummary>> {
  return unwrap(api.GET('/api/admin/sagas', { params: { query } }));
}

export function fetchSagaStats(): Promise<SagaStats> {
  return unwrap(api.GET('/api/admin/sagas/stats'));
}

/** The registered saga definitions: each saga type with its steps in order. */
export function fetchSagaDefinitions(): Promise<SagaDefinition[]> {
  return unwrap(api.GET('/api/admin/sagas/definitions'));
}

export function fetchSaga(id: string): Promise<SagaView> {
  return unwrap(api.GET('/api/admin/sagas/{id}', { params: { path: { id } } }));
}

/** Resends the command of the saga's current step. */
export function retrySagaStep(id: string): Promise<SagaDetail> {
  return unwrap(api.POST('/api/admin/sagas/{id}/retry-step', { params: { path: { id } } }));
}

/** Starts compensating every completed step. */
export function compensateSaga(id: string): Promise<SagaDetail> {
  return unwrap(api.POST('/api/admin/sagas/{id}/compensate', { params: { path: { id } } }));
}
