// Coloured status badges for sagas, dead letters, replay jobs and roles.

export type Tone = 'neutral' | 'info' | 'success' | 'warning' | 'danger';

const tones: Record<string, Tone> = {
  running: 'info',
  queued: 'neutral',
  pending: 'neutral',
  completed: 'success',
  replayed: 'success',
  compensating: 'warning',
  compensated: 'warning',
  rejected: 'neutral',
  skipped: 'warning',
  cancelled: 'neutral',
  discarded: 'neutral',
  open: 'danger',
  failed: 'danger',
  stuck: 'danger',
  operator: 'info',
  viewer: 'neutral',
  active: 'success',
  expired: 'neutral',
  revoked: 'neutral',
};

/** The tone of a status word (unknown words are neutral). */
export function toneOf(status: string): Tone {
  return tones[status] ?? 'neutral';
}

export function Badge({ tone, children }: { tone: Tone; children: string }) {
  return <span className={`badge badge--${tone}`}>{children}</span>;
}

export function StatusBadge({ status }: { status: string }) {
  return <Badge tone={toneOf(status)}>{status}</Badge>;
}
