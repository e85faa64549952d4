// Shows the backend's /readyz answer: overall status and each dependency's check.

export interface Readiness {
  readonly status: 'ready' | 'not-ready' | 'unreachable';
  readonly checks: Readonly<Record<string, 'up' | 'down'>>;
}

export function ReadinessBadge({ state }: { state: Readiness | undefined }) {
  if (!state) return <p role="status">Checking the backend…</p>;
  const colour = state.status === 'ready' ? '#1a7f37' : '#cf222e';
  return (
    <section aria-label="backend readiness">
      <p role="status" style={{ color: colour, fontWeight: 600 }}>
        Backend {state.status}
      </p>
      <ul>
        {Object.entries(state.checks).map(([name, check]) => (
          <li key={name}>
            {name}: {check}
          </li>
        ))}
      </ul>
    </section>
  );
}
