// The event rows' JSON: a state the same statement writes to the saga's row travels once.
import { describe, expect, it } from 'vitest';
import { eventsJson, type SagaEventRow } from './store.js';
import { SagaStatus, type SagaState } from './types.js';

const state = (step: string): SagaState => ({
  status: SagaStatus.running,
  data: { orderId: 'o-1' },
  completed: [],
  toCompensate: [],
  awaiting: { step, phase: 'forward', type: 'order.create', messageId: 'm-1', sends: 1 },
  failure: null,
});

const row = (extra: Partial<SagaEventRow>): SagaEventRow => ({
  sagaId: 's-1',
  version: 2,
  kind: 'step.succeeded',
  messageType: null,
  messageId: null,
  detail: { step: 'createOrder' },
  ...extra,
});

describe('eventsJson', () => {
  const written = state('reserveStock');
  const deadlineAt = new Date('2026-12-02T10:00:00.123Z');
  const saga = new Map([['s-1', { state: written, deadlineAt }]]);

  it('leaves out the state the saga row is written with, and says the row carries it', () => {
    const [plain, carrying] = JSON.parse(
      eventsJson([row({}), row({ kind: 'command.sent', state: written, deadlineAt })], saga),
    );
    expect(plain).toMatchObject({ with_state: false, state: null, deadline_at: null });
    expect(carrying).toMatchObject({ with_state: true, state: null, deadline_at: null });
  });

  it('sends a state inline when it is not the one the saga row is written with', () => {
    const other = state('chargePayment');
    const [inline] = JSON.parse(eventsJson([row({ state: other, deadlineAt })], saga));
    expect(inline).toMatchObject({ with_state: true, state: other, deadline_at: deadlineAt.toISOString() });
  });

  it('sends the state inline when the deadline differs, or no saga row is written', () => {
    const later = new Date(deadlineAt.getTime() + 1);
    const [moved] = JSON.parse(eventsJson([row({ state: written, deadlineAt: later })], saga));
    expect(moved).toMatchObject({ with_state: true, state: written, deadline_at: later.toISOString() });
    const [alone] = JSON.parse(eventsJson([row({ state: written, deadlineAt: null })]));
    expect(alone).toMatchObject({ with_state: true, state: written, deadline_at: null });
  });
});
