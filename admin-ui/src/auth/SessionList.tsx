// A user's signed-in browsers: where, since when, last used, when each ends; a button ends one.
import type { SessionInfo } from '../api/types.js';
import { Empty } from '../ui/states.js';
import { formatAgo, formatTime } from '../ui/format.js';

/** A short name for a browser from its user agent; the full string is in the cell's title. */
export function browserName(userAgent: string | null): string {
  if (!userAgent) return 'Unknown browser';
  const known = /(Edg|OPR|Firefox|Chrome|Chromium|Safari)\/[\d.]+/.exec(userAgent);
  const system = /(Windows|Mac OS X|Android|iPhone|iPad|Linux)/.exec(userAgent)?.[1];
  if (!known) return userAgent.slice(0, 40);
  const name = { Edg: 'Edge', OPR: 'Opera' }[known[1]!] ?? known[1]!;
  return system ? `${name} on ${system}` : name;
}

export function SessionList({
  sessions,
  caption,
  onEnd,
  ending,
  canEnd = true,
}: {
  sessions: readonly SessionInfo[];
  caption: string;
  onEnd: (session: SessionInfo) => void;
  /** The id of the session being ended, whose button shows it. */
  ending?: string | null;
  canEnd?: boolean;
}) {
  if (sessions.length === 0) return <Empty title="No live sessions" />;
  return (
    <div className="table-wrap">
      <table className="table">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Browser</th>
            <th scope="col">Address</th>
            <th scope="col">Signed in</th>
            <th scope="col">Last used</th>
            <th scope="col">Ends</th>
            {canEnd ? (
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {sessions.map((session) => {
            const name = browserName(session.userAgent);
            return (
              <tr key={session.id}>
                <td title={session.userAgent ?? undefined}>
                  {name} {session.current ? <strong>(this browser)</strong> : null}
                </td>
                <td className="mono small">{session.address ?? '—'}</td>
                <td className="nowrap">{formatTime(session.createdAt)}</td>
                <td className="nowrap">{formatAgo(session.lastSeenAt)}</td>
                <td className="nowrap">{formatTime(session.expiresAt)}</td>
                {canEnd ? (
                  <td className="actions">
                    <button
                      type="button"
                      className="btn btn--small"
                      disabled={ending === session.id}
                      aria-label={
                        session.current
                          ? 'Sign out this browser'
                          : `End the session of ${name} from ${session.address ?? 'an unknown address'}`
                      }
                      onClick={() => onEnd(session)}
                    >
                      {ending === session.id ? 'Ending…' : session.current ? 'Sign out' : 'End session'}
                    </button>
                  </td>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
