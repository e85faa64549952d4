// One bulk replay: live progress while it runs, and the result of each dead letter it covered, a page at a time.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { cancelReplayJob, fetchReplayJob } from '../api/deadLetters.js';
import type { ReplayJob, ReplayJobItemStatus } from '../api/types.js';
import { OperatorOnly } from '../auth/session.js';
import { PageHeader } from '../Layout.js';
import { Link } from '../router/router.js';
import { StatusBadge } from '../ui/badges.js';
import { formatTime, shortId } from '../ui/format.js';
import { ErrorState, QueryView } from '../ui/states.js';
import { JobItemsTable } from './JobItemsTable.js';
import { describeSelector } from './selector.js';
import { usePollInterval } from '../live/LiveUpdates.js';

/** Items shown at once: a job may cover 10,000 dead letters, the page shows this many rows. */
export const ITEMS_PER_PAGE = 50;

/** Whether the job may still change (and so is polled). */
export function isLive(job: Pick<ReplayJob, 'status'>): boolean {
  return job.status === 'queued' || job.status === 'running';
}

/** Processed items out of the total, 0..1. */
export function progressOf(job: Pick<ReplayJob, 'total' | 'replayed' | 'skipped' | 'failed'>): number {
  return job.total === 0 ? 1 : Math.min(1, (job.replayed + job.skipped + job.failed) / job.total);
}

export function ReplayJobPage({ id }: { id: string }) {
  // The cursors of the pages before the one shown: going back pops one.
  const [cursors, setCursors] = useState<string[]>([]);
  const [status, setStatus] = useState<ReplayJobItemStatus | undefined>(undefined);
  const cursor = cursors.at(-1);
  const poll = usePollInterval();
  const job = useQuery({
    queryKey: ['replay-jobs', id, { cursor, status }],
    queryFn: () =>
      fetchReplayJob(id, {
        limit: ITEMS_PER_PAGE,
        ...(cursor ? { cursor } : {}),
        ...(status ? { status } : {}),
      }),
    placeholderData: keepPreviousData,
    // Progress arrives on the live stream; polled only while it is down.
    refetchInterval: (query) => (query.state.data && !isLive(query.state.data) ? false : poll),
  });
  return (
    <>
      <p className="breadcrumbs">
        <Link to="/replay-jobs">Replay jobs</Link> / <span>{shortId(id)}</span>
      </p>
      <QueryView query={job} loadingLabel="Loading the replay job…">
        {(data) => (
          <>
            <JobView job={data} />
            <JobItemsTable
              items={data.items}
              status={status}
              onStatusChange={(next) => {
                setStatus(next);
                setCursors([]);
              }}
              page={cursors.length + 1}
              hasNext={data.nextCursor !== null}
              onPrevious={() => setCursors((stack) => stack.slice(0, -1))}
              onNext={() => data.nextCursor && setCursors((stack) => [...stack, data.nextCursor!])}
              loading={job.isPlaceholderData}
            />
          </>
        )}
      </QueryView>
    </>
  );
}

function JobView({ job }: { job: ReplayJob }) {
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
        subtitle={`Started by ${job.createdBy} at ${formatTime(job.createdAt)}, ${job.ratePerSecond} messages per second: ${describeSelector(job.selector)}.`}
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
