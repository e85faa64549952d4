// Saga counts by status, stuck sagas and the failure rate, as a row of cards.
import type { SagaStats } from '../api/types.js';
import { Link } from '../router/router.js';
import { formatPercent } from '../ui/format.js';

const statuses = [
  ['running', 'info'],
  ['compensating', 'warning'],
  ['completed', 'success'],
  ['compensated', 'warning'],
  ['failed', 'danger'],
] as const;

export function StatusCards({ stats }: { stats: SagaStats }) {
  const started = stats.lastHour.buckets.reduce((sum, b) => sum + b.started, 0);
  return (
    <ul className="cards" aria-label="Sagas by status">
      {statuses.map(([status, tone]) => (
        <li key={status}>
          <Link to={`/sagas?status=${status}`} className={`card card--${tone}`}>
            <span className="card__value">{stats.byStatus[status] ?? 0}</span>
            <span className="card__label">{status}</span>
          </Link>
        </li>
      ))}
      <li>
        <Link to="/sagas?stuck=true" className={`card card--${stats.stuck > 0 ? 'danger' : 'neutral'}`}>
          <span className="card__value">{stats.stuck}</span>
          <span className="card__label">stuck</span>
        </Link>
      </li>
      <li>
        <div className={`card card--${stats.lastHour.failureRate > 0.05 ? 'danger' : 'neutral'}`}>
          <span className="card__value">{formatPercent(stats.lastHour.failureRate)}</span>
          <span className="card__label">failure rate, last hour ({started} started)</span>
        </div>
      </li>
    </ul>
  );
}
