import { describe, expect, it } from 'vitest';
import type { TimelineEntry } from '../api/types.js';
import { actorOf, deadLetterIdOf, hasDetail, lookOf } from './timeline.js';

const entry = (overrides: Partial<TimelineEntry>): TimelineEntry => ({
  at: '2025-03-01T10:00:00.000Z',
  kind: 'command.sent',
  source: 'saga',
  messageType: 'order.create',
  messageId: 'm-1',
  detail: null,
  ...overrides,
});

describe('timeline entries', () => {
  it('gives every documented kind its family and tone', () => {
    expect(lookOf(entry({ kind: 'command.sent' }))).toMatchObject({ family: 'command', tone: 'info' });
    expect(lookOf(entry({ kind: 'step.timed-out' }))).toMatchObject({ family: 'timeout' });
    expect(lookOf(entry({ kind: 'retry.scheduled', source: 'retry' }))).toMatchObject({ family: 'retry' });
    expect(lookOf(entry({ kind: 'dead-letter.archived' }))).toMatchObject({
      family: 'dead-letter',
      tone: 'danger',
    });
    expect(lookOf(entry({ kind: 'dead-letter.replayed' }))).toMatchObject({
      family: 'replay',
      tone: 'success',
    });
    expect(lookOf(entry({ kind: 'saga.completed' }))).toMatchObject({ tone: 'success' });
  });

  it('reads unknown kinds by their prefix', () => {
    expect(lookOf(entry({ kind: 'compensation.requested' }))).toEqual({
      family: 'compensation',
      tone: 'neutral',
      label: 'compensation.requested',
    });
  });

  it('links dead-letter entries to their dead letter', () => {
    expect(
      deadLetterIdOf(
        entry({ kind: 'dead-letter.archived', source: 'dead-letter', detail: { deadLetterId: 'dl-1' } }),
      ),
    ).toBe('dl-1');
    expect(deadLetterIdOf(entry({ kind: 'command.sent', detail: { id: 'x' } }))).toBeUndefined();
    expect(
      deadLetterIdOf(entry({ kind: 'dead-letter.replay', source: 'audit', detail: { id: 'x' } })),
    ).toBeUndefined();
  });

  it('names the operator of audit entries', () => {
    expect(
      actorOf(entry({ kind: 'saga.compensate', source: 'audit', detail: { actorEmail: 'ops@x' } })),
    ).toBe('ops@x');
    expect(lookOf(entry({ kind: 'saga.compensate', source: 'audit' })).family).toBe('operator');
  });

  it('shows a payload only when there is one', () => {
    expect(hasDetail(entry({ detail: {} }))).toBe(false);
    expect(hasDetail(entry({ detail: { step: 'createOrder' } }))).toBe(true);
  });
});
