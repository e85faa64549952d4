// The console shell; for now it shows whether the backend is ready (pages arrive with the admin API).
import { useQuery } from '@tanstack/react-query';
import { ReadinessBadge, type Readiness } from './ReadinessBadge.js';

async function fetchReadiness(): Promise<Readiness> {
  const response = await fetch('/readyz');
  return (await response.json()) as Readiness;
}

export function App() {
  const readiness = useQuery({ queryKey: ['readyz'], queryFn: fetchReadiness, refetchInterval: 5_000 });
  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', padding: '1.5rem' }}>
      <h1>Sagaport</h1>
      <ReadinessBadge state={readiness.isError ? { status: 'unreachable', checks: {} } : readiness.data} />
    </main>
  );
}
