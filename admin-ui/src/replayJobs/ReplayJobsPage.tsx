// Every bulk replay, newest first, with its progress.
import { useQuery } from '@tanstack/react-query';
import { listReplayJobs } from '../api/deadLetters.js';
import { PageHeader } from '../Layout.js';
import { buildPath } from '../router/match.js';
import { Link } from '../router/router.js';
import { StatusBadge } from '../ui/badges.js';
import { formatAgo, formatTime, shortId } from '../ui/format.js';
import { Empty, QueryView } from '../ui/states.js';
import { describeSelector } from './selector.js';
import { usePollInterval } from '../live/LiveUpdates.js';

export function ReplayJobsPage() {
  const jobs = useQuery({
    queryKey: ['replay-jobs'],
    queryFn: listReplayJobs,
    refetchInterval: usePollInterval(),
  });
  return (
    <>
      <PageHeader title="Replay jobs" subtitle="Bulk replays of selected dead letters or whole groups." />
      <QueryView query={jobs} loadingLabel="Loading replay jobs…">
        {(items) =>
          items.length === 0 ? (
            <Empty title="No bulk replay yet">
              Select dead letters or a group on the Dead letters page to start one.
            </Empty>
          ) : (
            <div className="table-wrap">
              <table className="table">
                <caption className="sr-only">Replay jobs, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Job</th>
                    <th scope="col">Status</th>
                    <th scope="col">Selected</th>
                    <th scope="col" className="num">
                      Replayed
                    </th>
                    <th scope="col" className="num">
                      Skipped
                    </th>
                    <th scope="col" className="num">
                      Failed
                    </th>
                    <th scope="col" className="num">
                      Total
                    </th>
                    <th scope="col">By</th>
                    <th scope="col">Started</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((job) => (
                    <tr key={job.id}>
                      <td className="mono">
                        <Link to={buildPath('/replay-jobs/:id', { id: job.id })}>{shortId(job.id)}</Link>
                      </td>
                      <td>
                        <StatusBadge status={job.status} />
                      </td>
                      <td>{describeSelector(job.selector)}</td>
                      <td className="num">{job.replayed}</td>
                      <td className="num">{job.skipped}</td>
                      <td className="num">{job.failed}</td>
                      <td className="num">{job.total}</td>
                      <td>{job.createdBy}</td>
                      <td title={formatTime(job.createdAt)}>{formatAgo(job.createdAt)}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
    </>
  );
}
