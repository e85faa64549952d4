// The broker's queues: depth, consumers, rates and a health badge.
import type { Queue } from '../api/types.js';
import { Badge } from '../ui/badges.js';
import { formatRate } from '../ui/format.js';
import { queueHealth } from './health.js';

export function QueueTable({
  queues,
  rates = true,
  caption,
}: {
  queues: readonly Queue[];
  rates?: boolean;
  caption: string;
}) {
  return (
    <div className="table-wrap">
      <table className="table table--compact">
        <caption className="sr-only">{caption}</caption>
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col">Role</th>
            <th scope="col">Health</th>
            <th scope="col" className="num">
              Ready
            </th>
            <th scope="col" className="num">
              Unacked
            </th>
            <th scope="col" className="num">
              Consumers
            </th>
            {rates ? (
              <>
                <th scope="col" className="num">
                  Publish
                </th>
                <th scope="col" className="num">
                  Deliver
                </th>
                <th scope="col" className="num">
                  Ack
                </th>
              </>
            ) : null}
          </tr>
        </thead>
        <tbody>
          {queues.map((queue) => {
            const health = queueHealth(queue);
            return (
              <tr key={queue.name}>
                <td className="mono small">{queue.name}</td>
                <td>
                  {queue.role} <span className="muted small">{queue.type}</span>
                </td>
                <td>
                  <Badge tone={health.tone}>{health.label}</Badge>
                </td>
                <td className="num">{queue.ready ?? '—'}</td>
                <td className="num">{queue.unacked ?? '—'}</td>
                <td className="num">{queue.consumers ?? '—'}</td>
                {rates ? (
                  <>
                    <td className="num">{formatRate(queue.publishRate)}</td>
                    <td className="num">{formatRate(queue.deliverRate)}</td>
                    <td className="num">{formatRate(queue.ackRate)}</td>
                  </>
                ) : null}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}
