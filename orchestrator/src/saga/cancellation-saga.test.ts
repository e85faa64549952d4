import { describe, expect, it } from 'vitest';
import { type CancellationData, cancellationSaga } from './cancellation-saga.js';
import {
  applyOperatorAction,
  applyReply,
  applyTimeout,
  PAST_IRREVERSIBLE,
  startSaga,
  type IdSource,
} from './transition.js';
import { type ReplyInput, type SagaState, SagaStatus, type Transition } from './types.js';

const data: CancellationData = {
  orderId: '00000000-0000-4000-8000-000000000001',
  checkoutSagaId: '00000000-0000-4000-8000-0000000000c0',
  customerId: 'c-1',
  email: 'ada@example.com',
  currency: 'EUR',
  totalCents: 1000,
  reason: 'changed my mind',
};

const results: Record<string, Record<string, unknown>> = {
  'shipping.withdraw': { shipmentId: 'sh-1' },
  'payment.reimburse': { refundId: 'rf-1', amountCents: 1000 },
  'inventory.restock': { units: 2 },
  'order.revoke': {},
  'shipping.reinstate': {},
};

function ids(): IdSource {
  let n = 0;
  return () => `m-${++n}`;
}

type State = SagaState<CancellationData>;

const reply = (state: State, outcome: 'succeeded' | 'failed'): ReplyInput => {
  const awaiting = state.awaiting!;
  return {
    type: `${awaiting.type}.reply`,
    messageId: `reply-to-${awaiting.messageId}`,
    causationId: awaiting.messageId,
    body:
      outcome === 'succeeded'
        ? { outcome, result: results[awaiting.type] ?? {} }
        : { outcome, reason: { code: 'refused', message: `${awaiting.type} refused` } },
  };
};

/**
 * Every state the saga can be in, reached through the transitions themselves: awaiting each
 * forward step, awaiting the one compensation, and each way it can end.
 */
function reach(name: string, newId: IdSource): State {
  const forward = ['shipping.withdraw', 'payment.reimburse', 'inventory.restock', 'order.revoke'];
  let t: Transition<CancellationData> = startSaga(cancellationSaga, data, newId);
  const until = (type: string) => {
    while (t.state.awaiting && t.state.awaiting.type !== type)
      t = applyReply(cancellationSaga, t.state, reply(t.state, 'succeeded'), newId);
  };
  if (forward.includes(name)) {
    until(name);
    return t.state;
  }
  switch (name) {
    case 'shipping.reinstate':
      until('payment.reimburse');
      return applyReply(cancellationSaga, t.state, reply(t.state, 'failed'), newId).state;
    case 'completed':
      until('(end)');
      return t.state;
    case 'rejected':
      return applyReply(cancellationSaga, t.state, reply(t.state, 'failed'), newId).state;
    case 'compensated': {
      const s = reach('shipping.reinstate', newId);
      return applyReply(cancellationSaga, s, reply(s, 'succeeded'), newId).state;
    }
    case 'failed (compensation)': {
      const s = reach('shipping.reinstate', newId);
      return applyReply(cancellationSaga, s, reply(s, 'failed'), newId).state;
    }
    case 'failed (past refund)': {
      const s = reach('inventory.restock', newId);
      return applyReply(cancellationSaga, s, reply(s, 'failed'), newId).state;
    }
  }
  throw new Error(name);
}

/** What a transition did, as the table states it: the status it leaves, and the commands it sent. */
const outcome = (t: Transition<CancellationData> | undefined) =>
  t === undefined ? 'refused' : `${t.state.status} ${JSON.stringify(t.commands.map((c) => c.type))}`;

const inputs = {
  succeeded: (s: State, id: IdSource) => applyReply(cancellationSaga, s, reply(s, 'succeeded'), id),
  refused: (s: State, id: IdSource) => applyReply(cancellationSaga, s, reply(s, 'failed'), id),
  'timeout (sends left)': (s: State, id: IdSource) => applyTimeout(cancellationSaga, s, 3, id),
  'timeout (last send)': (s: State, id: IdSource) => applyTimeout(cancellationSaga, s, 1, id),
  'retry-step': (s: State, id: IdSource) => {
    const d = applyOperatorAction(cancellationSaga, s, 'retry-step', 'op@example.com', id);
    return d.applicable ? d.transition : undefined;
  },
  compensate: (s: State, id: IdSource) => {
    const d = applyOperatorAction(cancellationSaga, s, 'compensate', 'op@example.com', id);
    return d.applicable ? d.transition : undefined;
  },
} as const;
type Input = keyof typeof inputs;

/**
 * The whole table: state × input → status and commands. Replies only exist to an awaited
 * command, so the ended states get none (a reply to an ended saga is ignored, tested below).
 */
const table: Record<string, Partial<Record<Input, string>>> = {
  'shipping.withdraw': {
    succeeded: 'running ["payment.reimburse"]',
    refused: 'rejected []',
    'timeout (sends left)': 'running ["shipping.withdraw"]',
    'timeout (last send)': 'compensating ["shipping.reinstate"]',
    'retry-step': 'running ["shipping.withdraw"]',
    compensate: 'compensating ["shipping.reinstate"]',
  },
  'payment.reimburse': {
    succeeded: 'running ["inventory.restock"]',
    refused: 'compensating ["shipping.reinstate"]',
    'timeout (sends left)': 'running ["payment.reimburse"]',
    // The refund's effect is unknown, and it cannot be undone: stop for an operator.
    'timeout (last send)': 'failed []',
    'retry-step': 'running ["payment.reimburse"]',
    compensate: 'refused',
  },
  'inventory.restock': {
    succeeded: 'running ["order.revoke"]',
    refused: 'failed []',
    'timeout (sends left)': 'running ["inventory.restock"]',
    'timeout (last send)': 'failed []',
    'retry-step': 'running ["inventory.restock"]',
    compensate: 'refused',
  },
  'order.revoke': {
    succeeded: 'completed []',
    refused: 'failed []',
    'timeout (sends left)': 'running ["order.revoke"]',
    'timeout (last send)': 'failed []',
    'retry-step': 'running ["order.revoke"]',
    compensate: 'refused',
  },
  'shipping.reinstate': {
    succeeded: 'compensated []',
    refused: 'failed []',
    'timeout (sends left)': 'compensating ["shipping.reinstate"]',
    'timeout (last send)': 'failed []',
    'retry-step': 'compensating ["shipping.reinstate"]',
    compensate: 'refused',
  },
  completed: { 'timeout (last send)': 'completed []', 'retry-step': 'refused', compensate: 'refused' },
  rejected: { 'timeout (last send)': 'rejected []', 'retry-step': 'refused', compensate: 'refused' },
  compensated: { 'timeout (last send)': 'compensated []', 'retry-step': 'refused', compensate: 'refused' },
  'failed (compensation)': {
    'timeout (last send)': 'failed []',
    'retry-step': 'compensating ["shipping.reinstate"]',
    compensate: 'refused',
  },
  'failed (past refund)': {
    'timeout (last send)': 'failed []',
    'retry-step': 'running ["inventory.restock"]',
    compensate: 'refused',
  },
};

describe('the order-cancellation saga, state by input', () => {
  const rows = Object.entries(table).flatMap(([state, row]) =>
    Object.entries(row).map(([input, expected]) => [state, input as Input, expected] as const),
  );
  it.each(rows)('%s + %s → %s', (state, input, expected) => {
    const newId = ids();
    expect(outcome(inputs[input](reach(state, newId), newId))).toBe(expected);
  });

  it('covers every awaiting state with every input', () => {
    for (const state of [
      'shipping.withdraw',
      'payment.reimburse',
      'inventory.restock',
      'order.revoke',
      'shipping.reinstate',
    ])
      expect(Object.keys(table[state]!).sort()).toEqual(Object.keys(inputs).sort());
  });
});

describe('the order-cancellation saga, in detail', () => {
  it('sends each command built from its data, and folds each result into it', () => {
    const newId = ids();
    let t = startSaga(cancellationSaga, data, newId);
    const sent = [...t.commands];
    while (t.state.awaiting) {
      t = applyReply(cancellationSaga, t.state, reply(t.state, 'succeeded'), newId);
      sent.push(...t.commands);
    }
    expect(sent.map((c) => [c.type, c.payload])).toEqual([
      ['shipping.withdraw', { orderId: data.orderId, checkoutSagaId: data.checkoutSagaId }],
      [
        'payment.reimburse',
        { orderId: data.orderId, checkoutSagaId: data.checkoutSagaId, amountCents: 1000, currency: 'EUR' },
      ],
      ['inventory.restock', { orderId: data.orderId }],
      ['order.revoke', { orderId: data.orderId, reason: 'changed my mind' }],
    ]);
    expect(t.state.data).toMatchObject({ shipmentId: 'sh-1', refundId: 'rf-1', units: 2 });
    expect(t.events.at(-1)).toEqual({ kind: 'saga.completed' });
  });

  it('ends rejected with the refusal when the shipment cannot be withdrawn: nothing sent, nothing undone', () => {
    const newId = ids();
    const start = startSaga(cancellationSaga, data, newId);
    const t = applyReply(cancellationSaga, start.state, reply(start.state, 'failed'), newId);
    expect(t.state).toMatchObject({
      status: SagaStatus.rejected,
      awaiting: null,
      failure: { step: 'withdrawShipment', code: 'refused', message: 'shipping.withdraw refused' },
    });
    expect(t.events.map((e) => e.kind)).toEqual(['step.refused', 'saga.rejected']);
  });

  it('stops past the refund for an operator, naming the step to retry, and retries it with a new message', () => {
    const newId = ids();
    const s = reach('failed (past refund)', newId);
    expect(s.failure).toMatchObject({ code: PAST_IRREVERSIBLE, step: 'returnStock' });
    expect(s.failure!.message).toMatch(/refundPayment cannot be undone.*retry-step resends returnStock/);
    const before = s.awaiting;
    const d = applyOperatorAction(cancellationSaga, s, 'retry-step', 'op@example.com', newId);
    expect(d.applicable && d.transition.state).toMatchObject({
      status: 'running',
      failure: null,
      awaiting: { step: 'returnStock', phase: 'forward', sends: 1 },
    });
    expect(before).toBeNull();
    const refused = applyOperatorAction(
      cancellationSaga,
      reach('order.revoke', newId),
      'compensate',
      'op',
      newId,
    );
    expect(refused).toEqual({
      applicable: false,
      reason: expect.stringMatching(
        /refundPayment cannot be undone.*use retry-step to resend order.revoke/,
      ) as string,
    });
  });

  it.each(['completed', 'rejected', 'compensated'])('ignores a late reply once %s', (name) => {
    const newId = ids();
    const s = reach(name, newId);
    const late: ReplyInput = {
      type: 'shipping.withdraw.reply',
      messageId: 'late',
      causationId: 'm-1',
      body: { outcome: 'succeeded', result: { shipmentId: 'sh-1' } },
    };
    expect(applyReply(cancellationSaga, s, late, newId).changed).toBe(false);
  });

  it('ignores a reply that names another command, or no command', () => {
    const newId = ids();
    const s = reach('payment.reimburse', newId);
    const stale = { ...reply(s, 'succeeded'), causationId: 'm-1' };
    const wrongType = { ...reply(s, 'succeeded'), type: 'inventory.restock.reply' };
    expect(applyReply(cancellationSaga, s, stale, newId).changed).toBe(false);
    expect(applyReply(cancellationSaga, s, wrongType, newId).changed).toBe(false);
  });
});
