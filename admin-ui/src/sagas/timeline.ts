// How each timeline entry reads: its family (command, reply, retry, …), tone and label.
import type { TimelineEntry } from '../api/types.js';
import type { Tone } from '../ui/badges.js';

export type EntryFamily =
  | 'lifecycle'
  | 'command'
  | 'reply'
  | 'step'
  | 'retry'
  | 'timeout'
  | 'compensation'
  | 'dead-letter'
  | 'replay'
  | 'operator';

export interface EntryLook {
  readonly family: EntryFamily;
  readonly tone: Tone;
  readonly label: string;
}

const looks: Record<string, EntryLook> = {
  'saga.started': { family: 'lifecycle', tone: 'info', label: 'Saga started' },
  'saga.completed': { family: 'lifecycle', tone: 'success', label: 'Saga completed' },
  'saga.compensated': { family: 'lifecycle', tone: 'warning', label: 'Saga compensated' },
  'saga.failed': { family: 'lifecycle', tone: 'danger', label: 'Saga failed: needs an operator' },
  'command.sent': { family: 'command', tone: 'info', label: 'Command sent' },
  'command.resent': { family: 'retry', tone: 'warning', label: 'Command resent' },
  'reply.received': { family: 'reply', tone: 'info', label: 'Reply received' },
  'reply.ignored': { family: 'reply', tone: 'neutral', label: 'Reply ignored (duplicate or late)' },
  'step.succeeded': { family: 'step', tone: 'success', label: 'Step succeeded' },
  'step.refused': { family: 'step', tone: 'danger', label: 'Step refused' },
  'step.timed-out': { family: 'timeout', tone: 'warning', label: 'Step timed out' },
  'compensation.started': { family: 'compensation', tone: 'warning', label: 'Compensation started' },
  'compensation.succeeded': { family: 'compensation', tone: 'warning', label: 'Step compensated' },
  'compensation.failed': { family: 'compensation', tone: 'danger', label: 'Compensation failed' },
  'operator.retry-step': { family: 'operator', tone: 'info', label: 'Operator retried the step' },
  'operator.compensate': { family: 'operator', tone: 'warning', label: 'Operator started compensation' },
  'retry.scheduled': { family: 'retry', tone: 'warning', label: 'Retry scheduled' },
  'dead-letter.archived': { family: 'dead-letter', tone: 'danger', label: 'Dead-lettered' },
  'dead-letter.replayed': { family: 'replay', tone: 'success', label: 'Dead letter replayed' },
  'dead-letter.discarded': { family: 'dead-letter', tone: 'neutral', label: 'Dead letter discarded' },
  // Audit rows of operator actions on this saga or its dead letters (source `audit`).
  'saga.retry-step': { family: 'operator', tone: 'info', label: 'Operator asked to retry the step' },
  'saga.compensate': { family: 'operator', tone: 'warning', label: 'Operator asked to compensate' },
  'dead-letter.replay': { family: 'operator', tone: 'info', label: 'Operator replayed a dead letter' },
  'dead-letter.discard': { family: 'operator', tone: 'neutral', label: 'Operator discarded a dead letter' },
};

/** The look of an entry; unknown kinds fall back on their prefix so new kinds still read well. */
export function lookOf(entry: Pick<TimelineEntry, 'kind' | 'source'>): EntryLook {
  const known = looks[entry.kind];
  if (known) return known;
  const prefix = entry.kind.split('.')[0] ?? '';
  const family: EntryFamily =
    prefix === 'operator'
      ? 'operator'
      : prefix === 'compensation'
        ? 'compensation'
        : prefix === 'dead-letter'
          ? 'dead-letter'
          : 'lifecycle';
  return { family, tone: 'neutral', label: entry.kind };
}

/** The dead letter an entry is about, when its detail names one. */
export function deadLetterIdOf(entry: TimelineEntry): string | undefined {
  if (entry.source !== 'dead-letter') return undefined;
  const detail = entry.detail as Record<string, unknown> | null;
  const id = detail?.deadLetterId ?? detail?.id;
  return typeof id === 'string' ? id : undefined;
}

/** Whether the entry has a payload worth showing. */
export function hasDetail(entry: TimelineEntry): boolean {
  const d = entry.detail;
  return d !== null && d !== undefined && !(typeof d === 'object' && Object.keys(d).length === 0);
}

/** Who did it, for audit entries. */
export function actorOf(entry: TimelineEntry): string | undefined {
  const actor =
    entry.source === 'audit' ? (entry.detail as { actorEmail?: unknown } | null)?.actorEmail : undefined;
  return typeof actor === 'string' ? actor : undefined;
}
