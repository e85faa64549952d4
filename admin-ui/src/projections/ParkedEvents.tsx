// A projection's open parked events (type, offset, reason, time) with replay and skip for operators.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { listParkedEvents, resolveParkedEvent } from '../api/projections.js';
import type { ParkedEvent } from '../api/types.js';
import { OperatorOnly } from '../auth/session.js';
import { formatTime } from '../ui/format.js';
import { Section } from '../ui/Section.js';
import { Empty, ErrorState, QueryView } from '../ui/states.js';

export function ParkedEvents({ projection }: { projection: string }) {
  const parked = useQuery({
    queryKey: ['projections', projection, 'parked'],
    queryFn: () => listParkedEvents(projection),
    refetchInterval: 5_000,
  });
  return (
    <Section title={`Parked events of ${projection}`}>
      <QueryView query={parked} loadingLabel="Loading parked events…">
        {(items) =>
          items.length === 0 ? (
            <Empty title="No open parked events" />
          ) : (
            <div className="table-wrap">
              <table className="table table--compact">
                <caption className="sr-only">Parked events of {projection}</caption>
                <thead>
                  <tr>
                    <th scope="col">Type</th>
                    <th scope="col" className="num">
                      Offset
                    </th>
                    <th scope="col">Reason</th>
                    <th scope="col">Parked at</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {items.map((event) => (
                    <ParkedRow key={event.id} projection={projection} event={event} />
                  ))}
                </tbody>
              </table>
            </div>
          )
        }
      </QueryView>
    </Section>
  );
}

function ParkedRow({ projection, event }: { projection: string; event: ParkedEvent }) {
  const client = useQueryClient();
  const resolve = useMutation({
    mutationFn: (action: 'replay' | 'skip') => resolveParkedEvent(projection, event.id, action),
    onSettled: () => client.invalidateQueries({ queryKey: ['projections'] }),
  });
  return (
    <tr>
      <td className="mono small">{event.type ?? '—'}</td>
      <td className="num">
        {event.streamOffset}
        {event.eventIndex > 0 ? <span className="small"> (event {event.eventIndex + 1})</span> : null}
      </td>
      <td className="small">{event.error}</td>
      <td className="small">{formatTime(event.parkedAt)}</td>
      <td>
        <OperatorOnly>
          <div className="button-row">
            <button
              type="button"
              className="btn btn--small"
              disabled={resolve.isPending}
              onClick={() => resolve.mutate('replay')}
            >
              Replay<span className="sr-only"> event at offset {event.streamOffset}</span>
            </button>
            <button
              type="button"
              className="btn btn--small"
              disabled={resolve.isPending}
              onClick={() => resolve.mutate('skip')}
            >
              Skip<span className="sr-only"> event at offset {event.streamOffset}</span>
            </button>
          </div>
          {resolve.isError ? <ErrorState error={resolve.error} /> : null}
        </OperatorOnly>
      </td>
    </tr>
  );
}
