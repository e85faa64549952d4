// One bulk replay: live progress while it runs, then the result of every dead letter it covered.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { cancelReplayJob, fetchReplayJob } from '../api/deadLetters.js';
import type { ReplayJob, ReplayJobDetail } from '../api/types.js';
import { OperatorOnly } from '../auth/session.js';
import { PageHeader } from '../Layout.js';
import { buildPath } from '../router/match.js';
import { Link } from '../router/router.js';
import { StatusBadge } from '../ui/badges.js';
import { formatTime, shortId } from '../ui/format.js';
import { ErrorState, QueryView } from '../ui/states.js';

/** Whether the job may still change (and so is polled). */
export function isLive(job: Pick<ReplayJob, 'status'>): boolean {
  return job.status === 'queued' || job.status === 'running';
}

/** Processed items out of the total, 0..1. */
export function progressOf(job: Pick<ReplayJob, 'total' | 'replayed' | 'skipped' | 'failed'>): number {
  return job.total === 0 ? 1 : Math.min(1, (job.replayed + job.skipped + job.failed) / job.total);
}

export function ReplayJobPage({ id }: { id: string }) {
  const job = useQuery({
    queryKey: ['replay-jobs', id],
    queryFn: () => fetchReplayJob(id),
    refetchInterval: (query) => (query.state.data && !isLive(query.state.data) ? false : 1_000),
  });
  return (
    <>
      <p className="breadcrumbs">
        <Link to="/replay-jobs">Replay jobs</Link> / <span>{shortId(id)}</span>
      </p>
      <QueryView query={job} loadingLabel="Loading the replay job…">
        {(data) => <JobView job={data} />}
      </QueryView>
    </>
  );
}

function JobView({ job }: { job: ReplayJobDetail }) {
  const client = useQueryClient();
  const cancel = useMutation({
    mutationFn: () => cancelReplayJob(job.id),
    onSuccess: () => client.invalidateQueries({ queryKey: ['replay-jobs', job.id] }),
  });
  const done = job.replayed + job.skipped + job.failed;
  const percent = Math.round(progressOf(job) * 100);
  return (
    <>
      <PageHeader
        title={
          <>
            Bulk replay <StatusBadge status={job.status} />
          </>
        }
        subtitle={`Started by ${job.createdBy} at ${formatTime(job.createdAt)}, ${job.ratePerSecond} messages per second.`}
        actions={
          isLive(job) ? (
            <OperatorOnly>
              <button
                type="button"
                className="btn btn--danger"
                onClick={() => cancel.mutate()}
                disabled={cancel.isPending}
              >
                Cancel the rest
              </button>
            </OperatorOnly>
          ) : null
        }
      />
      {cancel.isError ? <ErrorState error={cancel.error} /> : null}
      <section className="panel" aria-label="Progress">
        <div className="progress-label">
          <span>
            {done} of {job.total} processed
          </span>
          <span>{percent}%</span>
        </div>
        <progress
          className="progress"
          max={Math.max(job.total, 1)}
          value={job.total === 0 ? 1 : done}
          aria-label="Replay progress"
        >
          {percent}%
        </progress>
        <div className="stat-row" aria-live="polite">
          <Stat label="Replayed" value={job.replayed} tone="success" />
          <Stat label="Skipped" value={job.skipped} tone="warning" />
          <Stat label="Failed" value={job.failed} tone="danger" />
          <Stat label="Pending" value={Math.max(0, job.total - done)} tone="neutral" />
        </div>
        {!isLive(job) ? (
          <p role="status" className="muted">
            Finished {formatTime(job.finishedAt)}: {job.replayed} replayed, {job.skipped} skipped,{' '}
            {job.failed} failed.
          </p>
        ) : null}
      </section>
      <section className="panel" aria-label="Results">
        <h2 className="panel__title">Results</h2>
        <div className="table-wrap">
          <table className="table table--compact">
            <caption className="sr-only">Result of each dead letter</caption>
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
              {job.items.map((item) => (
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
              ))}
            </tbody>
          </table>
        </div>
      </section>
    </>
  );
}

function Stat({ label, value, tone }: { label: string; value: number; tone: string }) {
  return (
    <div className={`stat stat--${tone}`}>
      <span className="stat__value">{value}</span>
      <span className="stat__label">{label}</span>
    </div>
  );
}
