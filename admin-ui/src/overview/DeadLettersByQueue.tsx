// Open dead letters per original queue (from the archive), beside what still waits in each broker DLQ.
import type { DeadLetterGroup, Queue } from '../api/types.js';
import { Link } from '../router/router.js';
import { Empty } from '../ui/states.js';

export interface QueueDeadLetters {
  readonly queue: string;
  readonly open: number;
  readonly groups: number;
  /** Messages in the broker's DLQ not archived yet, when the management API answered. */
  readonly waiting: number | null | undefined;
}

/** Sums open dead letters per original queue, largest first. */
export function deadLettersByQueue(
  groups: readonly DeadLetterGroup[],
  queues: readonly Queue[],
): QueueDeadLetters[] {
  const byQueue = new Map<string, { open: number; groups: number }>();
  for (const group of groups) {
    const entry = byQueue.get(group.originalQueue) ?? { open: 0, groups: 0 };
    byQueue.set(group.originalQueue, { open: entry.open + group.openCount, groups: entry.groups + 1 });
  }
  for (const dlq of queues.filter((q) => q.role === 'dead-letter' && (q.messages ?? 0) > 0)) {
    const original = dlq.name.replace(/\.dlq$/, '');
    if (!byQueue.has(original)) byQueue.set(original, { open: 0, groups: 0 });
  }
  return [...byQueue.entries()]
    .map(([queue, counts]) => ({
      queue,
      ...counts,
      waiting: queues.find((q) => q.name === `${queue}.dlq`)?.messages,
    }))
    .sort((a, b) => b.open - a.open || a.queue.localeCompare(b.queue));
}

export function DeadLettersByQueue({
  groups,
  queues,
}: {
  groups: readonly DeadLetterGroup[];
  queues: readonly Queue[];
}) {
  const rows = deadLettersByQueue(groups, queues);
  if (rows.length === 0) return <Empty title="No open dead letter">Every dead-letter queue is empty.</Empty>;
  const max = Math.max(1, ...rows.map((r) => r.open));
  return (
    <div className="table-wrap">
      <table className="table table--compact">
        <caption className="sr-only">Open dead letters per queue</caption>
        <thead>
          <tr>
            <th scope="col">Queue</th>
            <th scope="col" className="num">
              Open
            </th>
            <th scope="col" className="num">
              Causes
            </th>
            <th scope="col" className="num">
              In DLQ
            </th>
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr key={row.queue}>
              <td>
                <Link to={`/dead-letters?queue=${encodeURIComponent(row.queue)}`} className="mono small">
                  {row.queue}
                </Link>
                <div className="meter" aria-hidden="true">
                  <span style={{ width: `${(row.open / max) * 100}%` }} />
                </div>
              </td>
              <td className="num">
                <strong>{row.open}</strong>
              </td>
              <td className="num">{row.groups}</td>
              <td className="num">{row.waiting ?? '—'}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
