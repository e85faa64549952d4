import { describe, expect, it } from 'vitest';
import { type CheckoutData, checkoutSaga } from './checkout-saga.js';
import { applyOperatorAction, applyReply, applyTimeout, startSaga } from './transition.js';
import {
  type OperatorDecision,
  type ReplyInput,
  type SagaState,
  SagaStatus,
  type Transition,
} from './types.js';

const data: CheckoutData = {
  orderId: '00000000-0000-4000-8000-000000000001',
  customerId: 'c-1',
  email: 'ada@example.com',
  items: [{ sku: 'SKU-001', quantity: 2, unitPriceCents: 500 }],
  currency: 'EUR',
  totalCents: 1000,
  shippingAddress: { name: 'Ada', line1: 'Main 1', city: 'Berlin', postalCode: '10115', country: 'DE' },
  paymentToken: 'tok_visa',
};

const results: Record<string, Record<string, unknown>> = {
  'order.create': { orderId: data.orderId },
  'inventory.reserve': { reservationId: 'r-1', expiresAt: '2026-01-01T00:00:00Z' },
  'payment.charge': { chargeId: 'ch-1', amountCents: 1000 },
  'shipping.schedule': { shipmentId: 's-1' },
  'order.confirm': {},
};

function ids() {
  let n = 0;
  return () => `m-${++n}`;
}

/** The reply to whatever the saga awaits. */
function replyTo(state: SagaState, outcome: 'succeeded' | 'failed' = 'succeeded'): ReplyInput {
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
}

/** Drives the saga with successful replies until it awaits `command` (or ends). */
function runUntil(
  command: string | null,
  newId = ids(),
): { t: Transition; sent: string[]; newId: () => string } {
  let t = startSaga(checkoutSaga, data, newId);
  const sent = t.commands.map((c) => c.type as string);
  while (t.state.awaiting && t.state.awaiting.type !== command) {
    t = applyReply(checkoutSaga, t.state, replyTo(t.state), newId);
    sent.push(...t.commands.map((c) => c.type));
  }
  return { t, sent, newId };
}

/** Answers every compensation with `outcome`; returns the commands sent meanwhile. */
function finishCompensation(
  t: Transition,
  newId: () => string,
  outcome: 'succeeded' | 'failed' = 'succeeded',
) {
  const sent = t.commands.map((c) => c.type as string);
  while (t.state.awaiting) {
    t = applyReply(checkoutSaga, t.state, replyTo(t.state, outcome), newId);
    sent.push(...t.commands.map((c) => c.type));
  }
  return { t, sent };
}

describe('the checkout saga transition', () => {
  it('sends the five steps in order and completes, collecting every result', () => {
    const { t, sent } = runUntil(null);
    expect(sent).toEqual([
      'order.create',
      'inventory.reserve',
      'payment.charge',
      'shipping.schedule',
      'order.confirm',
    ]);
    expect(t.state.status).toBe(SagaStatus.completed);
    expect(t.state.data).toMatchObject({ reservationId: 'r-1', chargeId: 'ch-1', shipmentId: 's-1' });
    expect(t.events.map((e) => e.kind)).toEqual(['step.succeeded', 'saga.completed']);
  });

  it('builds each command from the checkout data', () => {
    const { t } = runUntil('payment.charge');
    expect(t.commands[0]).toEqual({
      type: 'payment.charge',
      messageId: 'm-3',
      payload: { orderId: data.orderId, amountCents: 1000, currency: 'EUR', paymentToken: 'tok_visa' },
    });
  });

  // A refusal at each step compensates exactly the steps before it, newest first.
  const refusals: Array<[string, string[]]> = [
    ['order.create', []],
    ['inventory.reserve', ['order.cancel']],
    ['payment.charge', ['inventory.release', 'order.cancel']],
    ['shipping.schedule', ['payment.refund', 'inventory.release', 'order.cancel']],
    ['order.confirm', ['shipping.cancel', 'payment.refund', 'inventory.release', 'order.cancel']],
  ];
  it.each(refusals)(
    'a refused %s compensates %j in reverse order, then ends compensated',
    (command, expected) => {
      const { t: before, newId } = runUntil(command);
      const refused = applyReply(checkoutSaga, before.state, replyTo(before.state, 'failed'), newId);
      expect(refused.state.failure).toMatchObject({ code: 'refused', message: `${command} refused` });
      const { t, sent } = finishCompensation(refused, newId);
      expect(sent).toEqual(expected);
      expect(t.state.status).toBe(SagaStatus.compensated);
      expect(t.state.awaiting).toBeNull();
    },
  );

  it('fails the saga when a compensation is refused', () => {
    const { t: before, newId } = runUntil('payment.charge');
    const refused = applyReply(checkoutSaga, before.state, replyTo(before.state, 'failed'), newId);
    const { t } = finishCompensation(refused, newId, 'failed');
    expect(t.state.status).toBe(SagaStatus.failed);
    expect(t.state.failure).toMatchObject({ code: 'compensation_failed', step: 'reserveStock' });
  });

  it('ignores a duplicate reply, a reply to another command and a reply after the end', () => {
    const { t: atReserve, newId } = runUntil('inventory.reserve');
    const stale = {
      type: 'order.create.reply',
      messageId: 'dup',
      causationId: 'm-1',
      body: { outcome: 'succeeded', result: {} },
    } as const;
    const duplicate = applyReply(checkoutSaga, atReserve.state, stale, newId);
    expect(duplicate.changed).toBe(false);
    expect(duplicate.state).toBe(atReserve.state);
    expect(duplicate.commands).toEqual([]);
    expect(duplicate.events[0]!.kind).toBe('reply.ignored');

    const wrongCause = applyReply(
      checkoutSaga,
      atReserve.state,
      { ...replyTo(atReserve.state), causationId: 'other' },
      newId,
    );
    expect(wrongCause.changed).toBe(false);

    const { t: done } = runUntil(null);
    expect(applyReply(checkoutSaga, done.state, stale, newId).changed).toBe(false);
  });

  it('resends the same message id on a timeout, up to the bound, then compensates the step itself too', () => {
    const { t: atCharge, newId } = runUntil('payment.charge');
    const id = atCharge.state.awaiting!.messageId;
    const second = applyTimeout(checkoutSaga, atCharge.state, 3, newId);
    const third = applyTimeout(checkoutSaga, second.state, 3, newId);
    expect([second, third].map((t) => t.commands[0])).toEqual([
      expect.objectContaining({ type: 'payment.charge', messageId: id }),
      expect.objectContaining({ type: 'payment.charge', messageId: id }),
    ]);
    expect(third.state.awaiting!.sends).toBe(3);
    const abandoned = applyTimeout(checkoutSaga, third.state, 3, newId);
    expect(abandoned.state.failure).toMatchObject({ code: 'step_timeout', step: 'chargePayment' });
    const { t, sent } = finishCompensation(abandoned, newId);
    // The charge may have happened without a reply reaching us: it is refunded too.
    expect(sent).toEqual(['payment.refund', 'inventory.release', 'order.cancel']);
    expect(t.state.status).toBe(SagaStatus.compensated);
  });

  it('ignores a late reply to an abandoned step', () => {
    const { t: atCharge, newId } = runUntil('payment.charge');
    const late = replyTo(atCharge.state);
    const abandoned = applyTimeout(checkoutSaga, atCharge.state, 1, newId);
    expect(abandoned.state.awaiting!.type).toBe('payment.refund');
    expect(applyReply(checkoutSaga, abandoned.state, late, newId).changed).toBe(false);
  });

  it('fails the saga when a compensation never answers', () => {
    const { t: atReserve, newId } = runUntil('inventory.reserve');
    const refused = applyReply(checkoutSaga, atReserve.state, replyTo(atReserve.state, 'failed'), newId);
    expect(refused.state.awaiting!.type).toBe('order.cancel');
    const resent = applyTimeout(checkoutSaga, refused.state, 2, newId);
    expect(resent.commands).toHaveLength(1);
    const failed = applyTimeout(checkoutSaga, resent.state, 2, newId);
    expect(failed.state.status).toBe(SagaStatus.failed);
    expect(failed.state.failure).toMatchObject({ code: 'step_timeout', step: 'createOrder' });
  });

  it('does nothing on a timeout of an ended saga', () => {
    const { t } = runUntil(null);
    expect(applyTimeout(checkoutSaga, t.state, 3, ids()).changed).toBe(false);
  });
});

const actor = 'op@example.com';

function applied(decision: OperatorDecision): Transition {
  if (!decision.applicable) throw new Error(`expected the action to apply, got: ${decision.reason}`);
  return decision.transition;
}

/** A saga whose compensation of reserveStock was refused: failed, order.cancel still to run. */
function failedAtRelease() {
  const { t: atCharge, newId } = runUntil('payment.charge');
  const refused = applyReply(checkoutSaga, atCharge.state, replyTo(atCharge.state, 'failed'), newId);
  const releaseId = refused.state.awaiting!.messageId;
  const failed = applyReply(checkoutSaga, refused.state, replyTo(refused.state, 'failed'), newId);
  return { state: failed.state, releaseId, newId };
}

/** One saga in each state an operator can find it in. */
function sagaIn(kind: 'running' | 'compensating' | 'failed' | 'completed' | 'compensated'): SagaState {
  if (kind === 'running') return runUntil('payment.charge').t.state;
  if (kind === 'failed') return failedAtRelease().state;
  if (kind === 'completed') return runUntil(null).t.state;
  const { t, newId } = runUntil('payment.charge');
  const refused = applyReply(checkoutSaga, t.state, replyTo(t.state, 'failed'), newId);
  return kind === 'compensating' ? refused.state : finishCompensation(refused, newId).t.state;
}

describe("the awaited command's payload", () => {
  it('is not kept in the state: a timeout resends the payload the first send carried, rebuilt from the data', () => {
    const { t: atCharge, newId } = runUntil('payment.charge');
    expect(atCharge.state.awaiting).not.toHaveProperty('payload');
    const resent = applyTimeout(checkoutSaga, atCharge.state, 3, newId);
    expect(resent.commands).toEqual(atCharge.commands);
  });

  it('is resent as a state written with it carries it', () => {
    const { t: atCharge, newId } = runUntil('payment.charge');
    const stored = {
      ...atCharge.state,
      awaiting: { ...atCharge.state.awaiting!, payload: { as: 'stored' } },
    };
    const resent = applyTimeout(checkoutSaga, stored, 3, newId);
    expect(resent.commands).toEqual([{ ...atCharge.commands[0]!, payload: { as: 'stored' } }]);
  });
});

describe('operator retry-step', () => {
  it.each(['order.create', 'inventory.reserve', 'payment.charge', 'shipping.schedule', 'order.confirm'])(
    'resends the awaited %s with the same message id, one more send, still running',
    (command) => {
      const { t: before, newId } = runUntil(command);
      const awaited = before.state.awaiting!;
      const t = applied(applyOperatorAction(checkoutSaga, before.state, 'retry-step', actor, newId));
      // The same message as the first send, its payload rebuilt from the unchanged data.
      expect(t.commands).toEqual(before.commands);
      expect(awaited.payload).toBeUndefined();
      expect(t.state).toEqual({ ...before.state, awaiting: { ...awaited, sends: awaited.sends + 1 } });
      expect(t.events).toEqual([
        {
          kind: 'operator.retry-step',
          detail: { actor, step: awaited.step, type: command, messageId: awaited.messageId, sends: 2 },
        },
      ]);
    },
  );

  it('resends an awaited compensation with the same message id, still compensating', () => {
    const state = sagaIn('compensating');
    const awaited = state.awaiting!;
    const t = applied(applyOperatorAction(checkoutSaga, state, 'retry-step', actor, ids()));
    expect(t.commands).toEqual([
      { type: 'inventory.release', messageId: awaited.messageId, payload: { orderId: data.orderId } },
    ]);
    expect(t.state.status).toBe(SagaStatus.compensating);
    expect(t.state.toCompensate).toEqual(state.toCompensate);
  });

  it('counts the operator resend toward the bound: the next missed deadline at the bound abandons the step', () => {
    const { t: before, newId } = runUntil('payment.charge');
    const retried = applied(applyOperatorAction(checkoutSaga, before.state, 'retry-step', actor, newId));
    const abandoned = applyTimeout(checkoutSaga, retried.state, 2, newId);
    expect(abandoned.state.failure).toMatchObject({ code: 'step_timeout', step: 'chargePayment' });
  });

  it('moves on when the resent command is answered', () => {
    const { t: before, newId } = runUntil('payment.charge');
    const retried = applied(applyOperatorAction(checkoutSaga, before.state, 'retry-step', actor, newId));
    const answered = applyReply(checkoutSaga, retried.state, replyTo(retried.state), newId);
    expect(answered.commands.map((c) => c.type)).toEqual(['shipping.schedule']);
  });

  it('re-issues the compensation that failed with a new message id, then runs the rest and ends compensated', () => {
    const { state, releaseId, newId } = failedAtRelease();
    expect(state).toMatchObject({ status: SagaStatus.failed, awaiting: null, toCompensate: ['createOrder'] });
    const t = applied(applyOperatorAction(checkoutSaga, state, 'retry-step', actor, newId));
    expect(t.commands).toHaveLength(1);
    expect(t.commands[0]!.type).toBe('inventory.release');
    expect(t.commands[0]!.messageId).not.toBe(releaseId);
    expect(t.state).toMatchObject({ status: SagaStatus.compensating, toCompensate: ['createOrder'] });
    expect(t.events[0]).toMatchObject({
      kind: 'operator.retry-step',
      detail: { actor, step: 'reserveStock', type: 'inventory.release' },
    });
    const { t: end, sent } = finishCompensation(t, newId);
    expect(sent).toEqual(['inventory.release', 'order.cancel']);
    expect(end.state.status).toBe(SagaStatus.compensated);
  });

  it('re-issues a compensation that never answered (the saga failed on its timeout)', () => {
    const { t: atReserve, newId } = runUntil('inventory.reserve');
    const refused = applyReply(checkoutSaga, atReserve.state, replyTo(atReserve.state, 'failed'), newId);
    const failed = applyTimeout(checkoutSaga, refused.state, 1, newId);
    expect(failed.state.status).toBe(SagaStatus.failed);
    const t = applied(applyOperatorAction(checkoutSaga, failed.state, 'retry-step', actor, newId));
    expect(t.commands.map((c) => c.type)).toEqual(['order.cancel']);
    expect(t.state.awaiting).toMatchObject({ phase: 'compensation', sends: 1 });
  });

  it.each([
    ['completed', /completed/],
    ['compensated', /compensated/],
  ] as const)('does not apply to a %s saga, and says so', (kind, reason) => {
    const decision = applyOperatorAction(checkoutSaga, sagaIn(kind), 'retry-step', actor, ids());
    expect(decision).toEqual({ applicable: false, reason: expect.stringMatching(reason) as string });
  });
});

describe('operator compensate', () => {
  const cases: Array<[string, string[]]> = [
    ['order.create', ['order.cancel']],
    ['inventory.reserve', ['inventory.release', 'order.cancel']],
    ['payment.charge', ['payment.refund', 'inventory.release', 'order.cancel']],
    ['shipping.schedule', ['shipping.cancel', 'payment.refund', 'inventory.release', 'order.cancel']],
    ['order.confirm', ['shipping.cancel', 'payment.refund', 'inventory.release', 'order.cancel']],
  ];
  it.each(cases)(
    'abandons the awaited %s and compensates it and every completed step: %j',
    (command, expected) => {
      const { t: before, newId } = runUntil(command);
      const t = applied(applyOperatorAction(checkoutSaga, before.state, 'compensate', actor, newId));
      expect(t.state.status).toBe(SagaStatus.compensating);
      expect(t.state.failure).toMatchObject({
        code: 'operator_compensated',
        step: before.state.awaiting!.step,
      });
      expect(t.events[0]).toEqual({
        kind: 'operator.compensate',
        detail: {
          actor,
          step: before.state.awaiting!.step,
          type: command,
          messageId: before.state.awaiting!.messageId,
        },
      });
      const { t: end, sent } = finishCompensation(t, newId);
      expect(sent).toEqual(expected);
      expect(end.state.status).toBe(SagaStatus.compensated);
    },
  );

  it('ignores a late reply to the abandoned step', () => {
    const { t: before, newId } = runUntil('payment.charge');
    const late = replyTo(before.state);
    const t = applied(applyOperatorAction(checkoutSaga, before.state, 'compensate', actor, newId));
    expect(applyReply(checkoutSaga, t.state, late, newId).changed).toBe(false);
  });

  it.each([
    ['compensating', /compensating already.*retry-step/],
    ['failed', /failed while compensating reserveStock.*retry-step/],
    ['completed', /completed/],
    ['compensated', /compensated already/],
  ] as const)('does not apply to a %s saga, and says so', (kind, reason) => {
    const decision = applyOperatorAction(checkoutSaga, sagaIn(kind), 'compensate', actor, ids());
    expect(decision).toEqual({ applicable: false, reason: expect.stringMatching(reason) as string });
  });
});
