// Whether a queue looks healthy: work queues need consumers and a small backlog; DLQs should be drained by the archiver.
import type { Queue } from '../api/types.js';
import type { Tone } from '../ui/badges.js';

export interface QueueHealth {
  readonly tone: Tone;
  readonly label: string;
}

/** Ready messages above which a consumed queue counts as backed up. */
export const BACKLOG_THRESHOLD = 1_000;

export function queueHealth(queue: Queue): QueueHealth {
  if (queue.consumers === null) return { tone: 'neutral', label: 'no figures yet' };
  const consumed = queue.role === 'work' || queue.role === 'replies' || queue.role === 'dead-letter';
  if (consumed && queue.consumers === 0) {
    return { tone: 'danger', label: queue.role === 'dead-letter' ? 'archiver down' : 'no consumer' };
  }
  if (queue.role === 'dead-letter' && (queue.messages ?? 0) > 0)
    return { tone: 'warning', label: 'archiving' };
  if (consumed && (queue.ready ?? 0) > BACKLOG_THRESHOLD) return { tone: 'warning', label: 'backlog' };
  return { tone: 'success', label: 'ok' };
}

/** Queues in the order operators look at them: problems first, then by role and name. */
export function sortQueues(queues: readonly Queue[]): Queue[] {
  const rank: Record<Tone, number> = { danger: 0, warning: 1, info: 2, neutral: 3, success: 4 };
  const roleRank = ['work', 'replies', 'dead-letter', 'retry', 'retry-log', 'events'];
  return [...queues].sort(
    (a, b) =>
      rank[queueHealth(a).tone] - rank[queueHealth(b).tone] ||
      roleRank.indexOf(a.role) - roleRank.indexOf(b.role) ||
      a.name.localeCompare(b.name),
  );
}
