// One page of a bulk replay's items: the result of each dead letter, filtered by result, paged by cursor.
import type { ReplayJobItem, ReplayJobItemStatus } from '../api/types.js';
import { buildPath } from '../router/match.js';
import { Link } from '../router/router.js';
import { StatusBadge } from '../ui/badges.js';
import { formatTime, shortId } from '../ui/format.js';

export const itemStatuses: readonly ReplayJobItemStatus[] = ['pending', 'replayed', 'skipped', 'failed'];

export function JobItemsTable({
  items,
  status,
  onStatusChange,
  page,
  hasNext,
  onPrevious,
  onNext,
  loading,
}: {
  items: readonly ReplayJobItem[];
  status: ReplayJobItemStatus | undefined;
  onStatusChange: (status: ReplayJobItemStatus | undefined) => void;
  /** 1-based number of the page shown. */
  page: number;
  hasNext: boolean;
  onPrevious: () => void;
  onNext: () => void;
  loading: boolean;
}) {
  return (
    <section className="panel" aria-labelledby="job-results-title">
      <h2 className="panel__title" id="job-results-title">
        Results
      </h2>
      <div className="filter-row">
        <label htmlFor="job-result-filter">Show</label>{' '}
        <select
          id="job-result-filter"
          value={status ?? ''}
          onChange={(event) =>
            onStatusChange((event.target.value || undefined) as ReplayJobItemStatus | undefined)
          }
        >
          <option value="">every result</option>
          {itemStatuses.map((s) => (
            <option key={s} value={s}>
              {s} only
            </option>
          ))}
        </select>
      </div>
      <div className="table-wrap">
        <table className="table table--compact" aria-busy={loading}>
          <caption className="sr-only">Result of each dead letter, page {page}</caption>
          <thead>
            <tr>
              <th scope="col">Dead letter</th>
              <th scope="col">Result</th>
              <th scope="col">Detail</th>
              <th scope="col">Replay message</th>
              <th scope="col">Processed</th>
            </tr>
          </thead>
          <tbody>
            {items.length === 0 ? (
              <tr>
                <td colSpan={5} className="muted">
                  No {status ?? ''} items on this page.
                </td>
              </tr>
            ) : (
              items.map((item) => (
                <tr key={item.deadLetterId}>
                  <td className="mono">
                    <Link to={buildPath('/dead-letters/:id', { id: item.deadLetterId })}>
                      {shortId(item.deadLetterId)}
                    </Link>
                  </td>
                  <td>
                    <StatusBadge status={item.status} />
                  </td>
                  <td>{item.detail ?? '—'}</td>
                  <td className="mono small">{item.replayMessageId ?? '—'}</td>
                  <td>{formatTime(item.processedAt)}</td>
                </tr>
              ))
            )}
          </tbody>
        </table>
      </div>
      <nav className="load-more" aria-label="Result pages">
        <span className="muted">Page {page}</span>
        <span>
          <button type="button" className="btn" onClick={onPrevious} disabled={page === 1 || loading}>
            Previous page
          </button>{' '}
          <button type="button" className="btn" onClick={onNext} disabled={!hasNext || loading}>
            Next page
          </button>
        </span>
      </nav>
    </section>
  );
}
