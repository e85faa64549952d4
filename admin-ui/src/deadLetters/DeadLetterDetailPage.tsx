// One dead letter: what failed and why, its body, headers and death history, the saga, and the actions.
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { useState, type ReactNode } from 'react';
import { fetchDeadLetter } from '../api/deadLetters.js';
import type { DeadLetterDetail, ReplayAccepted } from '../api/types.js';
import { OperatorOnly } from '../auth/session.js';
import { PageHeader } from '../Layout.js';
import { buildPath } from '../router/match.js';
import { Link } from '../router/router.js';
import { StatusBadge } from '../ui/badges.js';
import { formatTime, shortId } from '../ui/format.js';
import { JsonView } from '../ui/JsonView.js';
import { QueryView } from '../ui/states.js';
import { DeadLetterActions } from './DeadLetterActions.js';
import { DeathHistory } from './DeathHistory.js';
import { EditReplay } from './EditReplay.js';
import { KeyValues, Section } from '../ui/Section.js';

export function DeadLetterDetailPage({ id }: { id: string }) {
  const deadLetter = useQuery({ queryKey: ['dead-letter', id], queryFn: () => fetchDeadLetter(id) });
  const [editing, setEditing] = useState(false);
  const [replayed, setReplayed] = useState<ReplayAccepted | null>(null);
  const client = useQueryClient();
  const onReplayed = (result: ReplayAccepted) => {
    setEditing(false);
    setReplayed(result);
    void client.invalidateQueries({ queryKey: ['dead-letter', id] });
    void client.invalidateQueries({ queryKey: ['dead-letters'] });
    void client.invalidateQueries({ queryKey: ['dead-letter-groups'] });
  };
  return (
    <QueryView query={deadLetter} loadingLabel="Loading the dead letter…">
      {(d) => (
        <>
          <p className="breadcrumbs">
            <Link to="/dead-letters">Dead letters</Link> / <span>{shortId(d.id)}</span>
          </p>
          <PageHeader
            title={
              <>
                {d.messageType ?? 'Unknown message'} <StatusBadge status={d.status} />
              </>
            }
            subtitle={d.errorMessage ?? undefined}
          />
          {replayed ? (
            <div className="banner banner--success" role="status">
              Replayed{replayed.edited ? ' with the edited body' : ''} as message{' '}
              <code>{replayed.replayMessageId}</code>.{' '}
              {d.sagaId ? <Link to={buildPath('/sagas/:id', { id: d.sagaId })}>Follow the saga</Link> : null}
            </div>
          ) : null}
          <OperatorOnly>
            <DeadLetterActions
              deadLetter={d}
              editing={editing}
              onEdit={() => setEditing(true)}
              onReplayed={onReplayed}
            />
            {editing ? (
              <EditReplay deadLetter={d} onReplayed={onReplayed} onCancel={() => setEditing(false)} />
            ) : null}
          </OperatorOnly>
          <div className="detail-grid">
            <Section title="Message">
              <KeyValues rows={messageRows(d)} />
            </Section>
            <Section title="Linked saga">
              {d.saga ? (
                <KeyValues
                  rows={[
                    [
                      'Saga',
                      <Link key="s" to={buildPath('/sagas/:id', { id: d.saga.id })} className="mono">
                        {d.saga.id}
                      </Link>,
                    ],
                    ['Status', <StatusBadge key="st" status={d.saga.status} />],
                    ['Current step', d.saga.currentStep ?? '—'],
                  ]}
                />
              ) : (
                <p className="muted">No saga is linked to this message.</p>
              )}
              <h3>Replays</h3>
              <KeyValues rows={replayRows(d)} />
            </Section>
          </div>
          <Section title="Error">
            <KeyValues
              rows={[
                ['Class', d.errorClass ?? '—'],
                ['Name', d.errorName ?? '—'],
                ['Message', d.errorMessage ?? '—'],
              ]}
            />
            {d.errorStack ? (
              <pre className="code code--stack" tabIndex={0} aria-label="Stack trace">
                {d.errorStack}
              </pre>
            ) : null}
          </Section>
          <Section title="Body">
            {d.bodyEncoding === 'base64' ? (
              <p className="muted">The body is not UTF-8 text; shown base64-encoded.</p>
            ) : null}
            <JsonView label="Message body" value={d.bodyJson ?? d.body} />
          </Section>
          <div className="detail-grid">
            <Section title="Headers">
              <JsonView label="Message headers" value={d.headers} />
            </Section>
            <Section title="Properties">
              <JsonView label="Message properties" value={d.properties} />
            </Section>
          </div>
          <Section
            title={`Attempts and x-death history (${d.attempts} attempt${d.attempts === 1 ? '' : 's'})`}
          >
            <DeathHistory entries={d.deathHistory} />
          </Section>
        </>
      )}
    </QueryView>
  );
}

function messageRows(d: DeadLetterDetail) {
  return [
    [
      'Message id',
      <span key="m" className="mono">
        {d.messageId ?? '—'}
      </span>,
    ],
    [
      'Original queue',
      <span key="q" className="mono">
        {d.originalQueue}
      </span>,
    ],
    [
      'Exchange / routing key',
      <span key="e" className="mono">{`${d.originalExchange ?? '—'} / ${d.originalRoutingKey ?? '—'}`}</span>,
    ],
    [
      'Dead-letter queue',
      <span key="d" className="mono">
        {d.deadLetterQueue}
      </span>,
    ],
    ['Failed by', d.failedBy ?? '—'],
    ['First failure', formatTime(d.firstFailedAt)],
    ['Last failure', formatTime(d.lastFailedAt)],
    ['Archived', formatTime(d.archivedAt)],
    [
      'Group',
      <Link key="g" to={`/dead-letters?fingerprint=${d.fingerprint}&view=list&status=all`} className="mono">
        {d.fingerprint}
      </Link>,
    ],
  ] as const;
}

function replayRows(d: DeadLetterDetail) {
  const rows: [string, ReactNode][] = [];
  if (d.replayOf)
    rows.push([
      'Replay of',
      <Link key="o" to={buildPath('/dead-letters/:id', { id: d.replayOf })}>
        {shortId(d.replayOf)}
      </Link>,
    ]);
  if (d.replayedAt) {
    rows.push([
      'Replayed',
      `${formatTime(d.replayedAt)} by ${d.replayedBy ?? 'unknown'}${d.replayEdited ? ' (edited)' : ''}`,
    ]);
    rows.push([
      'Replay message id',
      <span key="r" className="mono">
        {d.replayMessageId ?? '—'}
      </span>,
    ]);
  }
  if (d.discardedAt) {
    rows.push(['Discarded', `${formatTime(d.discardedAt)} by ${d.discardedBy ?? 'unknown'}`]);
    rows.push(['Reason', d.discardReason ?? '—']);
  }
  for (const later of d.laterFailures) {
    rows.push([
      'Failed again',
      <Link key={later.id} to={buildPath('/dead-letters/:id', { id: later.id })}>
        {formatTime(later.lastFailedAt)}: {later.errorMessage ?? later.errorClass}
      </Link>,
    ]);
  }
  if (rows.length === 0) rows.push(['Replays', 'Not replayed yet']);
  return rows;
}
