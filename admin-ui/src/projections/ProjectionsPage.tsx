// Projections: every read model's state, offset, lag and parked events; pause/resume, rebuild with its progress, parked events.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { listProjections, pauseProjection, rebuildProjection, resumeProjection } from '../api/projections.js';
import type { Projection } from '../api/types.js';
import { OperatorOnly } from '../auth/session.js';
import { PageHeader } from '../Layout.js';
import { StatusBadge } from '../ui/badges.js';
import { formatDuration } from '../ui/format.js';
import { Empty, ErrorState, QueryView } from '../ui/states.js';
import { ParkedEvents } from './ParkedEvents.js';
import { RebuildProgress } from './RebuildProgress.js';

export const projectionsKey = ['projections'] as const;

/** Whether a projection's latest rebuild is still going (the page then refreshes faster). */
export function isRebuilding(projection: Pick<Projection, 'rebuild'>): boolean {
  return projection.rebuild?.state === 'running' || projection.rebuild?.state === 'swapping';
}

export function ProjectionsPage() {
  const projections = useQuery({
    queryKey: projectionsKey,
    queryFn: listProjections,
    refetchInterval: (query) => ((query.state.data ?? []).some(isRebuilding) ? 1_000 : 5_000),
  });
  const [parkedOf, setParkedOf] = useState<string | null>(null);
  return (
    <>
      <PageHeader
        title="Projections"
        subtitle="Read models built from the event stream: where each stands, how far behind, what it parked."
      />
      <QueryView query={projections} loadingLabel="Loading projections…">
        {(items) =>
          items.length === 0 ? (
            <Empty title="No projections" />
          ) : (
            <div className="table-wrap">
              <table className="table table--compact">
                <caption className="sr-only">Projections</caption>
                <thead>
                  <tr>
                    <th scope="col">Projection</th>
                    <th scope="col">State</th>
                    <th scope="col" className="num">
                      Offset
                    </th>
                    <th scope="col" className="num">
                      Lag (events)
                    </th>
                    <th scope="col" className="num">
                      Lag (time)
                    </th>
                    <th scope="col" className="num">
                      Parked
                    </th>
                    <th scope="col">Last error</th>
                    <th scope="col">Rebuild</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((projection) => (
                    <ProjectionRow
                      key={projection.name}
                      projection={projection}
                      onShowParked={() => setParkedOf(projection.name)}
                    />
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
      {parkedOf ? <ParkedEvents projection={parkedOf} /> : null}
    </>
  );
}

function ProjectionRow({ projection, onShowParked }: { projection: Projection; onShowParked: () => void }) {
  const client = useQueryClient();
  const refresh = () => client.invalidateQueries({ queryKey: projectionsKey });
  const change = useMutation({
    mutationFn: async (action: 'pause' | 'resume' | 'rebuild'): Promise<unknown> =>
      action === 'pause'
        ? pauseProjection(projection.name)
        : action === 'resume'
          ? resumeProjection(projection.name)
          : rebuildProjection(projection.name),
    onSuccess: (answer, action) => {
      // Show the bar at once from the 202's progress; the polling takes it from there.
      if (action !== 'rebuild') return;
      client.setQueryData<readonly Projection[]>(projectionsKey, (list) =>
        list?.map((p) =>
          p.name === projection.name ? { ...p, rebuild: answer as Projection['rebuild'] } : p,
        ),
      );
    },
    onSettled: refresh,
  });
  const { name } = projection;
  return (
    <tr>
      <td className="mono small">{name}</td>
      <td>
        <StatusBadge status={projection.state} />
      </td>
      <td className="num">{projection.offset}</td>
      <td className="num">{projection.lagEvents ?? '—'}</td>
      <td className="num">{projection.lagSeconds === null ? '—' : formatDuration(projection.lagSeconds)}</td>
      <td className="num">{projection.openParked}</td>
      <td className="small">{projection.lastError ?? '—'}</td>
      <td>{projection.rebuild ? <RebuildProgress name={name} rebuild={projection.rebuild} /> : 'never'}</td>
      <td>
        <div className="button-row">
          <button type="button" className="btn btn--small" onClick={onShowParked}>
            Parked events<span className="sr-only"> of {name}</span>
          </button>
          <OperatorOnly>
            {projection.state === 'running' ? (
              <button
                type="button"
                className="btn btn--small"
                disabled={change.isPending}
                onClick={() => change.mutate('pause')}
              >
                Pause<span className="sr-only"> {name}</span>
              </button>
            ) : (
              <button
                type="button"
                className="btn btn--small"
                disabled={change.isPending}
                onClick={() => change.mutate('resume')}
              >
                Resume<span className="sr-only"> {name}</span>
              </button>
            )}
            <button
              type="button"
              className="btn btn--small"
              disabled={change.isPending || isRebuilding(projection)}
              onClick={() => change.mutate('rebuild')}
            >
              Rebuild<span className="sr-only"> {name}</span>
            </button>
          </OperatorOnly>
        </div>
        {change.isError ? <ErrorState error={change.error} /> : null}
      </td>
    </tr>
  );
}
