// Shows the backend's /readyz answer: overall status and each dependency's check.

export interface Readiness {
  readonly status: 'ready' | 'not-ready' | 'unreachable';
  readonly checks: Readonly<Record<string, 'up' | 'down'>>;
}

export function ReadinessBadge({ state }: { state: Readiness | undefined }) {
  if (!state) return <p role="status">Checking the backend…</p>;
  const tone = state.status === 'ready' ? 'success' : 'danger';
  return (
    <section aria-label="backend readiness" className="readiness">
      <p role="status">
        <span className={`badge badge--${tone}`}>Backend {state.status}</span>
      </p>
      <ul className="readiness__checks">
        {Object.entries(state.checks).map(([name, check]) => (
          <li key={name} className={`readiness__check readiness__check--${check}`}>
            {name}: {check}
          </li>
        ))}
      </ul>
    </section>
  );
}
