// One saga: where it stands, its steps, the operator actions, its dead letters and its full timeline.
import { useQuery } from '@tanstack/react-query';
import { fetchSaga } from '../api/sagas.js';
import type { SagaView } from '../api/types.js';
import { OperatorOnly } from '../auth/session.js';
import { PageHeader } from '../Layout.js';
import { buildPath } from '../router/match.js';
import { Link } from '../router/router.js';
import { Badge, StatusBadge } from '../ui/badges.js';
import { formatAgo, formatMoney, formatTime, prettyJson, shortId } from '../ui/format.js';
import { JsonView } from '../ui/JsonView.js';
import { KeyValues, Section } from '../ui/Section.js';
import { QueryView } from '../ui/states.js';
import { useSagaDefinitions } from './definitions.js';
import { canAct, SagaActions } from './SagaActions.js';
import { stepsInFlight } from './in-flight.js';
import { Timeline } from './Timeline.js';
import { usePollInterval } from '../live/LiveUpdates.js';

const ended = (status: string) => status === 'completed' || status === 'compensated' || status === 'rejected';

export function SagaDetailPage({ id }: { id: string }) {
  const poll = usePollInterval();
  const view = useQuery({
    queryKey: ['saga', id],
    queryFn: () => fetchSaga(id),
    refetchInterval: (query) => (query.state.data && ended(query.state.data.saga.status) ? false : poll),
  });
  return (
    <>
      <p className="breadcrumbs">
        <Link to="/sagas">Sagas</Link> / <span>{shortId(id)}</span>
      </p>
      <QueryView query={view} loadingLabel="Loading the saga…">
        {(data) => <SagaOverview view={data} />}
      </QueryView>
    </>
  );
}

/** The saga's trace: a link when the server has a trace URL template, else its id; a dash when not traced. */
function TraceLink({ trace }: { trace: SagaView['trace'] }) {
  if (!trace) return <span className="muted">— (not traced)</span>;
  if (!trace.url) return <span className="mono">{trace.traceId}</span>;
  return (
    <a className="mono" href={trace.url} target="_blank" rel="noreferrer noopener">
      {trace.traceId}
    </a>
  );
}

function SagaOverview({ view: { saga, trace, timeline, deadLetters } }: { view: SagaView }) {
  const completed = new Set(((saga.state as { completed?: string[] } | null)?.completed ?? []).map(String));
  const steps = useSagaDefinitions().find((d) => d.name === saga.type)?.steps ?? [];
  const inFlight = stepsInFlight(saga);
  return (
    <>
      <PageHeader
        title={
          <>
            Saga <span className="mono">{shortId(saga.id)}</span> <StatusBadge status={saga.status} />
            {saga.stuck ? <Badge tone="danger">stuck</Badge> : null}
          </>
        }
        subtitle={
          saga.failureReason
            ? `Reason: ${prettyJson(saga.failureReason)}`
            : `Started ${formatAgo(saga.createdAt)}`
        }
        actions={
          canAct(saga) ? (
            <OperatorOnly>
              <SagaActions saga={saga} />
            </OperatorOnly>
          ) : null
        }
      />
      <ol className="steps" aria-label="Steps">
        {steps.map((step) => {
          const state = completed.has(step.name)
            ? 'done'
            : inFlight.includes(step.name)
              ? 'current'
              : 'pending';
          return (
            <li
              key={step.name}
              className={`steps__item steps__item--${state}`}
              aria-current={state === 'current' ? 'step' : undefined}
            >
              <span className="steps__name">{step.name}</span>
              <span className="steps__command mono">{step.command}</span>
            </li>
          );
        })}
      </ol>
      <div className="detail-grid">
        <Section title="Saga">
          <KeyValues
            rows={[
              [
                'Saga id',
                <span key="i" className="mono">
                  {saga.id}
                </span>,
              ],
              ['Type', <span key="t">{saga.type}</span>],
              [
                'Current step',
                <span key="c" className="mono">
                  {inFlight.length > 0 ? inFlight.join(' and ') : '—'}
                </span>,
              ],
              [
                'Order',
                <span key="o" className="mono">
                  {saga.orderId ?? '—'}
                </span>,
              ],
              ['Customer', `${saga.customerId ?? '—'} ${saga.email ? `<${saga.email}>` : ''}`],
              ['Total', formatMoney(saga.totalCents, saga.currency)],
              ['Started', formatTime(saga.createdAt)],
              ['Updated', formatTime(saga.updatedAt)],
              ['Ended', formatTime(saga.endedAt)],
              ['Step deadline', formatTime(saga.deadlineAt)],
              ['Version', String(saga.version)],
              ['Trace', <TraceLink key="t" trace={trace} />],
            ]}
          />
        </Section>
        <Section title={`Dead letters (${deadLetters.length})`}>
          {deadLetters.length === 0 ? (
            <p className="muted">None of this saga's messages was dead-lettered.</p>
          ) : (
            <ul className="plain-list">
              {deadLetters.map((d) => (
                <li key={d.id}>
                  <StatusBadge status={d.status} />{' '}
                  <Link to={buildPath('/dead-letters/:id', { id: d.id })}>{d.messageType ?? 'message'}</Link>{' '}
                  <span className="muted small">{d.errorMessage}</span>
                </li>
              ))}
            </ul>
          )}
        </Section>
      </div>
      <Section title={`Timeline (${timeline.length} events)`}>
        <Timeline entries={timeline} />
      </Section>
      <Section title="State">
        <details>
          <summary>Saga state (JSON)</summary>
          <JsonView label="Saga state" value={saga.state} />
        </details>
      </Section>
    </>
  );
}
