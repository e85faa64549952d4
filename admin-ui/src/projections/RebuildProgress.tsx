// A projection rebuild's progress: a bar while it runs, its outcome once it ended.
import type { ProjectionRebuild } from '../api/types.js';
import { StatusBadge } from '../ui/badges.js';
import { formatAgo } from '../ui/format.js';

export function RebuildProgress({ name, rebuild }: { name: string; rebuild: ProjectionRebuild }) {
  const percent = Math.round(rebuild.progress * 100);
  const live = rebuild.state === 'running' || rebuild.state === 'swapping';
  return (
    <div className="small">
      <div className="progress-label">
        <StatusBadge status={rebuild.state} />
        <span>
          {rebuild.appliedEvents} events{live ? ` · ${percent}%` : ` · ${formatAgo(rebuild.finishedAt)}`}
        </span>
      </div>
      {live ? (
        <div
          className="rebuild-bar"
          role="progressbar"
          aria-label={`Rebuild of ${name}`}
          aria-valuemin={0}
          aria-valuemax={100}
          aria-valuenow={percent}
          aria-valuetext={`${percent}%, ${rebuild.appliedEvents} events applied`}
        >
          <div className="rebuild-bar__fill" style={{ width: `${percent}%` }} />
        </div>
      ) : null}
      {rebuild.error ? <div className="muted">{rebuild.error}</div> : null}
    </div>
  );
}
