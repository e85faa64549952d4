// Dead letters grouped by cause (queue + type + error fingerprint), largest group first.
import { useQuery } from '@tanstack/react-query';
import { useState } from 'react';
import { listDeadLetterGroups, type DeadLetterQuery } from '../api/deadLetters.js';
import type { DeadLetterGroup } from '../api/types.js';
import { OperatorOnly } from '../auth/session.js';
import { Link } from '../router/router.js';
import { ConfirmDialog } from '../ui/ConfirmDialog.js';
import { formatAgo, formatTime } from '../ui/format.js';
import { Empty, QueryView } from '../ui/states.js';
import { BulkDryRun } from './ReplayPreview.js';
import { useStartReplayJob } from './useReplayJob.js';
import { usePollInterval } from '../live/LiveUpdates.js';

export function GroupsTable({
  query,
  listHref,
}: {
  query: DeadLetterQuery;
  listHref: (fingerprint: string) => string;
}) {
  const groups = useQuery({
    queryKey: ['dead-letter-groups', query],
    queryFn: () => listDeadLetterGroups(query),
    refetchInterval: usePollInterval(),
  });
  const [replaying, setReplaying] = useState<DeadLetterGroup | null>(null);
  const replay = useStartReplayJob();
  return (
    <QueryView query={groups} loadingLabel="Loading groups…">
      {(items) =>
        items.length === 0 ? (
          <Empty title="No dead letters match these filters">
            Nothing has failed in this way, or the filters are too narrow.
          </Empty>
        ) : (
          <div className="table-wrap">
            <table className="table">
              <caption className="sr-only">Dead letters grouped by cause</caption>
              <thead>
                <tr>
                  <th scope="col">Cause</th>
                  <th scope="col" className="hide-narrow">
                    Queue
                  </th>
                  <th scope="col" className="num">
                    Open / total
                  </th>
                  <th scope="col" className="hide-narrow">
                    First seen
                  </th>
                  <th scope="col">Last seen</th>
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {items.map((group) => (
                  <tr key={group.fingerprint} data-fingerprint={group.fingerprint}>
                    <td>
                      <div className="cell-title">{group.title}</div>
                      <div className="muted small">
                        {group.messageType ?? 'unknown type'} · {group.errorClass ?? 'unknown error'} ·{' '}
                        <code>{group.fingerprint}</code>
                      </div>
                    </td>
                    <td className="mono small hide-narrow">{group.originalQueue}</td>
                    <td className="num">
                      <strong>{group.openCount}</strong> / {group.count}
                    </td>
                    <td className="hide-narrow" title={formatTime(group.firstSeen)}>
                      {formatAgo(group.firstSeen)}
                    </td>
                    <td title={formatTime(group.lastSeen)}>{formatAgo(group.lastSeen)}</td>
                    <td className="actions">
                      <Link className="btn btn--small" to={listHref(group.fingerprint)}>
                        Show {group.count}
                      </Link>
                      <OperatorOnly>
                        <button
                          type="button"
                          className="btn btn--small btn--primary"
                          disabled={group.openCount === 0}
                          onClick={() => setReplaying(group)}
                        >
                          Replay group
                        </button>
                      </OperatorOnly>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            {replaying ? (
              <ConfirmDialog
                title="Replay this group?"
                confirmLabel={`Replay ${replaying.openCount} dead letters`}
                busy={replay.isPending}
                error={replay.error}
                onCancel={() => setReplaying(null)}
                onConfirm={() => replay.mutate({ fingerprint: replaying.fingerprint })}
              >
                <p>
                  Every open dead letter of <strong>{replaying.title}</strong> is republished to its original
                  exchange, at a steady pace. Progress and the result of each one show on the next page.
                </p>
                <BulkDryRun selection={{ fingerprint: replaying.fingerprint }} />
              </ConfirmDialog>
            ) : null}
          </div>
        )
      }
    </QueryView>
  );
}
