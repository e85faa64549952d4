// Filter values read from and written to the URL (replacing the history entry, so Back leaves the page).
import { useCallback, useMemo } from 'react';
import { useSearchParams } from '../router/router.js';
import { readFilters, writeFilters, type FilterSpecs, type FilterValues } from './urlFilters.js';

export function useUrlFilters<K extends string>(
  specs: FilterSpecs<K>,
): [FilterValues<K>, (changes: Partial<Record<K, string>>) => void] {
  const [params, setParams] = useSearchParams();
  const values = useMemo(() => readFilters(params, specs), [params, specs]);
  const update = useCallback(
    (changes: Partial<Record<K, string>>) => setParams(writeFilters(params, specs, changes)),
    [params, setParams, specs],
  );
  return [values, update];
}
