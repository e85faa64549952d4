// The broker's x-death entries: each time a queue dead-lettered the message, why and how often.
import { formatTime } from '../ui/format.js';
import { Empty } from '../ui/states.js';

interface Death {
  readonly queue?: unknown;
  readonly reason?: unknown;
  readonly count?: unknown;
  readonly exchange?: unknown;
  readonly 'routing-keys'?: unknown;
  readonly time?: unknown;
}

function text(value: unknown): string {
  if (value === undefined || value === null) return '—';
  if (Array.isArray(value)) return value.map(text).join(', ');
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
    return String(value);
  return JSON.stringify(value) ?? '—';
}

function when(value: unknown): string {
  if (typeof value === 'number')
    return formatTime(new Date(value < 1e12 ? value * 1000 : value).toISOString());
  if (typeof value === 'string') return formatTime(value);
  if (typeof value === 'object' && value !== null && 'value' in value) return when(value.value);
  return '—';
}

export function DeathHistory({ entries }: { entries: readonly unknown[] }) {
  if (entries.length === 0) {
    return (
      <Empty title="No x-death history">
        The consumer dead-lettered this message itself (a permanent failure or the last retry), not the
        broker.
      </Empty>
    );
  }
  return (
    <div className="table-wrap">
      <table className="table table--compact">
        <caption className="sr-only">x-death history</caption>
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col">Reason</th>
            <th scope="col" className="num">
              Count
            </th>
            <th scope="col">Exchange</th>
            <th scope="col">Routing keys</th>
            <th scope="col">Time</th>
          </tr>
        </thead>
        <tbody>
          {entries.map((entry, i) => {
            const death = (typeof entry === 'object' && entry !== null ? entry : {}) as Death;
            return (
              <tr key={i}>
                <td className="mono small">{text(death.queue)}</td>
                <td>{text(death.reason)}</td>
                <td className="num">{text(death.count)}</td>
                <td className="mono small">{text(death.exchange)}</td>
                <td className="mono small">{text(death['routing-keys'])}</td>
                <td>{when(death.time)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
