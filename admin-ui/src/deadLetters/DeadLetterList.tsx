// The dead letters one by one, newest failure first, with a selection for bulk replay.
import { useInfiniteQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { listDeadLetters, type DeadLetterQuery } from '../api/deadLetters.js';
import type { DeadLetterSummary } from '../api/types.js';
import { useAuth } from '../auth/session.js';
import { buildPath } from '../router/match.js';
import { Link } from '../router/router.js';
import { StatusBadge } from '../ui/badges.js';
import { ConfirmDialog } from '../ui/ConfirmDialog.js';
import { formatAgo, formatTime, shortId } from '../ui/format.js';
import { LoadMore } from '../ui/LoadMore.js';
import { Empty, QueryView } from '../ui/states.js';
import { BulkDryRun } from './ReplayPreview.js';
import { useStartReplayJob } from './useReplayJob.js';

export function DeadLetterList({ query }: { query: DeadLetterQuery }) {
  const { canMutate } = useAuth();
  const pages = useInfiniteQuery({
    queryKey: ['dead-letters', query],
    queryFn: ({ pageParam }) => listDeadLetters({ ...query, ...(pageParam ? { cursor: pageParam } : {}) }),
    initialPageParam: '',
    getNextPageParam: (page) => page.nextCursor ?? undefined,
  });
  const [selected, setSelected] = useState<ReadonlySet<string>>(new Set());
  const [confirming, setConfirming] = useState(false);
  const replay = useStartReplayJob();
  const toggle = (id: string) => {
    const next = new Set(selected);
    if (next.has(id)) next.delete(id);
    else next.add(id);
    setSelected(next);
  };
  return (
    <QueryView
      query={{ ...pages, data: pages.data?.pages.flatMap((p) => p.items) }}
      loadingLabel="Loading dead letters…"
    >
      {(items) => {
        if (items.length === 0) return <Empty title="No dead letters match these filters" />;
        const selectable = items.filter((d) => d.status === 'open');
        const allSelected = selectable.length > 0 && selectable.every((d) => selected.has(d.id));
        return (
          <>
            {canMutate ? (
              <div className="toolbar" aria-live="polite">
                <span className="muted">{selected.size} selected</span>
                <button
                  type="button"
                  className="btn btn--primary"
                  disabled={selected.size === 0}
                  onClick={() => setConfirming(true)}
                >
                  Replay selected ({selected.size})
                </button>
                {selected.size > 0 ? (
                  <button type="button" className="btn btn--ghost" onClick={() => setSelected(new Set())}>
                    Clear selection
                  </button>
                ) : null}
              </div>
            ) : null}
            <div className="table-wrap">
              <table className="table">
                <caption className="sr-only">Dead letters, newest failure first</caption>
                <thead>
                  <tr>
                    {canMutate ? (
                      <th scope="col" className="check">
                        <input
                          type="checkbox"
                          aria-label="Select every open dead letter shown"
                          checked={allSelected}
                          disabled={selectable.length === 0}
                          onChange={() =>
                            setSelected(allSelected ? new Set() : new Set(selectable.map((d) => d.id)))
                          }
                        />
                      </th>
                    ) : null}
                    <th scope="col">Message</th>
                    <th scope="col">Error</th>
                    <th scope="col" className="num hide-narrow">
                      Attempts
                    </th>
                    <th scope="col">Saga</th>
                    <th scope="col">Last failed</th>
                    <th scope="col">Status</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((d) => (
                    <Row
                      key={d.id}
                      deadLetter={d}
                      selectable={canMutate}
                      selected={selected.has(d.id)}
                      onToggle={toggle}
                    />
                  ))}
                </tbody>
              </table>
            </div>
            <LoadMore
              shown={items.length}
              hasMore={pages.hasNextPage}
              loading={pages.isFetchingNextPage}
              onLoadMore={() => void pages.fetchNextPage()}
            />
            {confirming ? (
              <ConfirmDialog
                title={`Replay ${selected.size} dead letters?`}
                confirmLabel="Start replay"
                busy={replay.isPending}
                error={replay.error}
                onCancel={() => setConfirming(false)}
                onConfirm={() => replay.mutate({ ids: [...selected] })}
              >
                <p>
                  Each selected message is republished to its original exchange and routing key. Progress
                  shows on the next page.
                </p>
                <BulkDryRun selection={{ ids: [...selected] }} />
              </ConfirmDialog>
            ) : null}
          </>
        );
      }}
    </QueryView>
  );
}

function Row({
  deadLetter: d,
  selectable,
  selected,
  onToggle,
}: {
  deadLetter: DeadLetterSummary;
  selectable: boolean;
  selected: boolean;
  onToggle: (id: string) => void;
}) {
  return (
    <tr aria-selected={selectable ? selected : undefined}>
      {selectable ? (
        <td className="check">
          <input
            type="checkbox"
            aria-label={`Select dead letter ${shortId(d.id)}`}
            checked={selected}
            disabled={d.status !== 'open'}
            onChange={() => onToggle(d.id)}
          />
        </td>
      ) : null}
      <td>
        <Link to={buildPath('/dead-letters/:id', { id: d.id })} className="cell-title">
          {d.messageType ?? 'unknown type'}
        </Link>
        <div className="muted small mono" title={d.originalQueue}>
          {shortId(d.id)}
        </div>
      </td>
      <td className="error-cell">
        <div className="small">{d.errorClass ?? 'unknown'}</div>
        <div className="truncate" title={d.errorMessage ?? ''}>
          {d.errorMessage ?? '—'}
        </div>
      </td>
      <td className="num hide-narrow">{d.attempts}</td>
      <td className="mono small">
        {d.sagaId ? (
          <Link to={buildPath('/sagas/:id', { id: d.sagaId })} title={d.sagaId}>
            {shortId(d.sagaId)}
          </Link>
        ) : (
          '—'
        )}
      </td>
      <td title={formatTime(d.lastFailedAt)}>{formatAgo(d.lastFailedAt ?? d.archivedAt)}</td>
      <td>
        <StatusBadge status={d.status} />
      </td>
    </tr>
  );
}
