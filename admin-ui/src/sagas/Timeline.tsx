// A saga's history as a vertical timeline: every command, reply, retry, timeout, compensation, dead letter and replay.
import type { TimelineEntry } from '../api/types.js';
import { buildPath } from '../router/match.js';
import { Link } from '../router/router.js';
import { formatTime, shortId } from '../ui/format.js';
import { JsonView } from '../ui/JsonView.js';
import { Empty } from '../ui/states.js';
import { actorOf, deadLetterIdOf, hasDetail, lookOf } from './timeline.js';

export function Timeline({ entries }: { entries: readonly TimelineEntry[] }) {
  if (entries.length === 0) return <Empty title="No events yet" />;
  return (
    <ol className="timeline" aria-label="Saga timeline">
      {entries.map((entry, i) => {
        const look = lookOf(entry);
        const deadLetterId = deadLetterIdOf(entry);
        const actor = actorOf(entry);
        return (
          <li
            key={`${entry.at}-${entry.kind}-${i}`}
            className={`timeline__item timeline__item--${look.tone}`}
            data-kind={entry.kind}
          >
            <span className={`timeline__dot timeline__dot--${look.family}`} aria-hidden="true" />
            <div className="timeline__body">
              <div className="timeline__head">
                <strong>{look.label}</strong>
                {entry.messageType ? <code className="timeline__type">{entry.messageType}</code> : null}
                <time className="muted small" dateTime={entry.at}>
                  {formatTime(entry.at)}
                </time>
              </div>
              <div className="muted small">
                <span className="tag">{entry.kind}</span>
                {actor ? ` by ${actor}` : null}
                {entry.messageId ? (
                  <span title={entry.messageId}>
                    {' '}
                    message <span className="mono">{shortId(entry.messageId)}</span>
                  </span>
                ) : null}
                {deadLetterId ? (
                  <>
                    {' · '}
                    <Link to={buildPath('/dead-letters/:id', { id: deadLetterId })}>
                      open the dead letter
                    </Link>
                  </>
                ) : null}
              </div>
              {hasDetail(entry) ? (
                <details className="timeline__detail">
                  <summary>Payload</summary>
                  <JsonView label={`${entry.kind} payload`} value={entry.detail} />
                </details>
              ) : null}
            </div>
          </li>
        );
      })}
    </ol>
  );
}
