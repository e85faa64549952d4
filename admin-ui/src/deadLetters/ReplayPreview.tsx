// What a replay would do, asked of the API before the operator confirms: the saga, the step, the verdict, the effect.
import { useQuery } from '@tanstack/react-query';
import { previewBulkReplay, previewReplay, type ReplaySelection } from '../api/deadLetters.js';
import type { BulkReplayPreview, ReplayPreview as Preview } from '../api/types.js';
import { Link } from '../router/router.js';
import { buildPath } from '../router/match.js';
import { ErrorState, Loading } from '../ui/states.js';
import { formatTime } from '../ui/format.js';

/** The preview of one dead letter's replay, fetched while `enabled` (the confirm dialog is open). */
export function useReplayPreview(id: string, enabled: boolean) {
  return useQuery({
    queryKey: ['dead-letter-preview', id],
    queryFn: () => previewReplay(id),
    enabled,
    staleTime: 0,
    retry: false,
  });
}

const actionLabel: Record<NonNullable<Preview['suggestion']>['action'], string> = {
  edit: 'Edit the body',
  discard: 'Discard it',
  'retry-step': 'Retry the step on the saga',
  compensate: 'Compensate the saga',
  none: 'Nothing to do',
};

export function ReplayPreviewView({ preview }: { preview: Preview }) {
  const { saga, step } = preview;
  return (
    <div className="preview" aria-label="Replay preview">
      <p className={`validation validation--${preview.willReplay ? 'success' : 'danger'}`} role="status">
        {preview.willReplay
          ? `Would replay: it ${preview.effect}.`
          : `Would be refused: ${preview.refusal?.detail ?? 'see below'}`}
      </p>
      <dl className="facts">
        <dt>Effect</dt>
        <dd>{preview.effect}</dd>
        <dt>Step</dt>
        <dd>{step ? `${step.name} (${step.phase})` : '—'}</dd>
        <dt>Saga</dt>
        <dd>
          {saga ? (
            <>
              <Link to={buildPath('/sagas/:id', { id: saga.id })}>
                <code>{saga.id.slice(0, 8)}</code>
              </Link>{' '}
              {saga.status}
              {saga.awaiting ? `, waits for ${saga.awaiting.type}` : ', waits for nothing'}
            </>
          ) : (
            'none'
          )}
        </dd>
        {preview.waitingForThis !== null ? (
          <>
            <dt>Waits for this message</dt>
            <dd>{preview.waitingForThis ? 'Yes' : 'No'}</dd>
          </>
        ) : null}
        {preview.suggestion ? (
          <>
            <dt>Instead</dt>
            <dd>
              <strong>{actionLabel[preview.suggestion.action]}</strong>: {preview.suggestion.detail}
            </dd>
          </>
        ) : null}
      </dl>
      {preview.errors.length > 0 ? (
        <ul className="field-errors" aria-label="Contract errors">
          {preview.errors.map((e) => (
            <li key={`${e.field}:${e.message}`}>
              <code>{e.field}</code> {e.message}
            </li>
          ))}
        </ul>
      ) : null}
      {preview.since.length > 0 ? (
        <details>
          <summary>What happened to the saga since it failed ({preview.since.length})</summary>
          <ol className="compact-list">
            {preview.since.map((e, i) => (
              <li key={i}>
                {formatTime(e.at)} {e.kind} {e.messageType ?? ''}
              </li>
            ))}
          </ol>
        </details>
      ) : null}
    </div>
  );
}

/** The preview of one replay, fetched; shows loading and errors in place. */
export function ReplayPreviewPanel({ query }: { query: ReturnType<typeof useReplayPreview> }) {
  if (query.isPending) return <Loading label="Checking what the replay would do…" />;
  if (query.isError) return <ErrorState error={query.error} />;
  return <ReplayPreviewView preview={query.data} />;
}

const codeLabel: Record<BulkReplayPreview['reasons'][number]['code'], string> = {
  'not-found': 'no longer exists',
  'already-replayed': 'already replayed',
  'already-discarded': 'already discarded',
  'not-json': 'body is not JSON',
  contract: 'body breaks its contract',
  'saga-missing': 'saga does not exist',
  'saga-moved-on': 'saga has moved on (stale step)',
};

/** The dry run of a bulk replay, fetched when shown. */
export function useBulkDryRun(selection: ReplaySelection) {
  return useQuery({
    queryKey: ['replay-dry-run', selection],
    queryFn: () => previewBulkReplay(selection),
    staleTime: 0,
    retry: false,
  });
}

/** The dry run of `selection`, fetched as it shows (inside a confirm dialog). */
export function BulkDryRun({ selection }: { selection: ReplaySelection }) {
  return <BulkDryRunPanel query={useBulkDryRun(selection)} />;
}

function BulkDryRunPanel({ query }: { query: ReturnType<typeof useBulkDryRun> }) {
  if (query.isPending) return <Loading label="Counting what the job would do…" />;
  if (query.isError) return <ErrorState error={query.error} />;
  const dry = query.data;
  return (
    <div className="preview" aria-label="Dry run">
      <p role="status" className={`validation validation--${dry.refusal ? 'danger' : 'neutral'}`}>
        {dry.refusal
          ? `The job would be refused: ${dry.refusal.detail}`
          : `Dry run: of ${dry.total}, ${dry.wouldReplay} would be replayed, ${dry.wouldSkip} skipped and ${dry.wouldFail} failed.`}
      </p>
      {dry.reasons.length > 0 ? (
        <ul className="compact-list" aria-label="Why some would not be replayed">
          {dry.reasons.map((r) => (
            <li key={r.code}>
              {r.count} {r.outcome}: {codeLabel[r.code]}{' '}
              <span className="muted small">(e.g. {r.example})</span>
            </li>
          ))}
        </ul>
      ) : null}
    </div>
  );
}
