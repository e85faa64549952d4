// The registered saga definitions, read once per session: the filters' types and steps, and each saga's step list.
import { useQuery } from '@tanstack/react-query';
import { fetchSagaDefinitions } from '../api/sagas.js';
import type { SagaDefinition } from '../api/types.js';

const none: readonly SagaDefinition[] = [];

/** Every registered definition (empty until loaded: the filters then offer no type or step). */
export function useSagaDefinitions(): readonly SagaDefinition[] {
  const query = useQuery({
    queryKey: ['saga-definitions'],
    queryFn: fetchSagaDefinitions,
    // Definitions change only with a new orchestrator release.
    staleTime: Infinity,
  });
  return Array.isArray(query.data) ? query.data : none;
}
