import { describe, expect, it } from 'vitest';
import { mergeTimeline, type TimelineSources } from './timeline.js';

const t = (micros: number) => `2030-01-01T00:00:00.${String(micros).padStart(6, '0')}Z`;

const deadLetter: TimelineSources['deadLetters'][number] = {
  id: 'dl-1',
  messageType: 'inventory.reserve',
  messageId: 'm-2',
  originalQueue: 'inventory.commands',
  errorClass: 'transient',
  errorMessage: 'db down',
  attempts: 4,
  lastFailedAt: t(30),
  replayedAt: null,
  replayedBy: null,
  replayMessageId: null,
  replayEdited: null,
  discardedAt: null,
  discardedBy: null,
  discardReason: null,
};

const sources: TimelineSources = {
  events: [
    { at: t(10), kind: 'saga.started', messageType: null, messageId: null, detail: null },
    {
      at: t(10),
      kind: 'command.sent',
      messageType: 'order.create',
      messageId: 'm-1',
      detail: { orderId: 'o' },
    },
    { at: t(50), kind: 'operator.retry-step', messageType: null, messageId: null, detail: { actor: 'op@x' } },
    { at: t(50), kind: 'command.sent', messageType: 'inventory.reserve', messageId: 'm-2', detail: {} },
  ],
  retries: [
    {
      at: t(20),
      messageType: 'inventory.reserve',
      messageId: 'm-2',
      queue: 'inventory.commands',
      nextAttempt: 2,
      tier: '1s',
      delayMs: 1000,
      errorClass: 'transient',
      errorMessage: 'db down',
      failedBy: 'inventory-1',
    },
  ],
  deadLetters: [
    { ...deadLetter, replayedAt: t(60), replayedBy: 'op@x', replayMessageId: 'm-3', replayEdited: true },
    {
      ...deadLetter,
      id: 'dl-2',
      lastFailedAt: t(35),
      discardedAt: t(70),
      discardedBy: 'op@x',
      discardReason: 'dup',
    },
  ],
  audit: [
    { at: t(50), id: 7, actorEmail: 'op@x', action: 'saga.retry-step', detail: { fromStatus: 'running' } },
  ],
};

describe('mergeTimeline', () => {
  const merged = mergeTimeline(sources);

  it('orders the four sources by time, keeping log order (and saga before audit) within one instant', () => {
    expect(merged.map((e) => [e.at, e.source, e.kind])).toEqual([
      [t(10), 'saga', 'saga.started'],
      [t(10), 'saga', 'command.sent'],
      [t(20), 'retry', 'retry.scheduled'],
      [t(30), 'dead-letter', 'dead-letter.archived'],
      [t(35), 'dead-letter', 'dead-letter.archived'],
      [t(50), 'saga', 'operator.retry-step'],
      [t(50), 'saga', 'command.sent'],
      [t(50), 'audit', 'saga.retry-step'],
      [t(60), 'dead-letter', 'dead-letter.replayed'],
      [t(70), 'dead-letter', 'dead-letter.discarded'],
    ]);
  });

  it('orders by microsecond, not by millisecond', () => {
    const [a, b] = mergeTimeline({
      events: [{ at: t(2), kind: 'later', messageType: null, messageId: null, detail: null }],
      retries: [],
      deadLetters: [],
      audit: [{ at: t(1), id: 1, actorEmail: 'a', action: 'earlier', detail: null }],
    });
    expect([a!.kind, b!.kind]).toEqual(['earlier', 'later']);
  });

  it('gives each entry its detail payload', () => {
    const byKind = (kind: string) => merged.filter((e) => e.kind === kind);
    expect(byKind('retry.scheduled')[0]).toEqual({
      at: t(20),
      kind: 'retry.scheduled',
      source: 'retry',
      messageType: 'inventory.reserve',
      messageId: 'm-2',
      detail: {
        queue: 'inventory.commands',
        nextAttempt: 2,
        tier: '1s',
        delayMs: 1000,
        errorClass: 'transient',
        errorMessage: 'db down',
        failedBy: 'inventory-1',
      },
    });
    expect(byKind('dead-letter.archived')[0]!.detail).toEqual({
      id: 'dl-1',
      queue: 'inventory.commands',
      errorClass: 'transient',
      errorMessage: 'db down',
      attempts: 4,
    });
    expect(byKind('dead-letter.replayed')[0]).toMatchObject({
      messageId: 'm-3',
      detail: { id: 'dl-1', replayMessageId: 'm-3', replayedBy: 'op@x', edited: true },
    });
    expect(byKind('dead-letter.discarded')[0]!.detail).toEqual({
      id: 'dl-2',
      discardedBy: 'op@x',
      reason: 'dup',
    });
    expect(byKind('saga.retry-step')[0]).toMatchObject({
      messageType: null,
      messageId: null,
      detail: { id: 7, actorEmail: 'op@x', action: 'saga.retry-step', detail: { fromStatus: 'running' } },
    });
    expect(byKind('command.sent')[0]).toMatchObject({ messageId: 'm-1', detail: { orderId: 'o' } });
  });

  it('adds no replayed or discarded entry for an open dead letter', () => {
    const open = mergeTimeline({ events: [], retries: [], deadLetters: [deadLetter], audit: [] });
    expect(open.map((e) => e.kind)).toEqual(['dead-letter.archived']);
  });
});
