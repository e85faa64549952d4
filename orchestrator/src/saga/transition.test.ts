import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type CheckoutData, checkoutSaga } from './checkout-saga.js';
import { defineSaga, type StepBuilder, type StepDefinition } from './definition.js';
import { applyOperatorAction, applyReply, applyTimeout, inFlight, startSaga } from './transition.js';
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

  // A refusal at each step compensates exactly the steps that succeeded, newest first. The order
  // and the stock hold are one stage: a refused order waits for the hold (answered here), and
  // releases it.
  const refusals: Array<[string, string[]]> = [
    ['order.create', ['inventory.release']],
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
    'resends the awaited %s (and what is in flight with it) with the same message id, one more send, still running',
    (command) => {
      const { t: before, newId } = runUntil(command);
      const flights = inFlight(before.state);
      const t = applied(applyOperatorAction(checkoutSaga, before.state, 'retry-step', actor, newId));
      // The same messages as the first sends, their payloads rebuilt from the unchanged data.
      // Ids are deterministic: the start sent m-1 and m-2 in this run too.
      const sent = [...startSaga(checkoutSaga, data, ids()).commands, ...before.commands];
      expect(t.commands).toEqual(flights.map((c) => sent.find((s) => s.messageId === c.messageId)));
      expect(flights.every((c) => c.payload === undefined)).toBe(true);
      const again = (c: (typeof flights)[number]) => ({ ...c, sends: c.sends + 1 });
      expect(t.state).toEqual({
        ...before.state,
        awaiting: again(flights[0]!),
        ...(flights.length > 1 ? { alongside: flights.slice(1).map(again) } : {}),
      });
      expect(t.events).toEqual(
        flights.map((c) => ({
          kind: 'operator.retry-step',
          detail: { actor, step: c.step, type: c.type, messageId: c.messageId, sends: 2 },
        })),
      );
      expect(t.events[0]!.detail).toMatchObject({ type: command });
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
    // The order and the hold are in flight together: both are abandoned and compensated.
    ['order.create', ['inventory.release', 'order.cancel']],
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

/** The reply to the command in flight of type `type`. */
function replyToCommand(
  state: SagaState,
  type: string,
  outcome: 'succeeded' | 'failed' = 'succeeded',
): ReplyInput {
  const command = inFlight(state).find((c) => c.type === type);
  if (!command) throw new Error(`${type} is not in flight`);
  return replyTo({ ...state, awaiting: command }, outcome);
}

describe('a stage of steps sent together (createOrder with reserveStock)', () => {
  const started = () => {
    const newId = ids();
    return { t: startSaga(checkoutSaga, data, newId), newId };
  };

  it('sends both commands at the start and awaits both', () => {
    const { t } = started();
    expect(t.commands.map((c) => [c.type, c.messageId])).toEqual([
      ['order.create', 'm-1'],
      ['inventory.reserve', 'm-2'],
    ]);
    expect(inFlight(t.state).map((c) => c.step)).toEqual(['createOrder', 'reserveStock']);
    expect(t.state.awaiting!.step).toBe('createOrder');
  });

  it.each([
    ['order.create', 'inventory.reserve'],
    ['inventory.reserve', 'order.create'],
  ])('moves on to the charge once both answered, %s first', (first, second) => {
    const { t, newId } = started();
    const one = applyReply(checkoutSaga, t.state, replyToCommand(t.state, first), newId);
    expect(one).toMatchObject({ changed: true, commands: [] });
    expect(inFlight(one.state).map((c) => c.type)).toEqual([second]);
    expect(one.state).not.toHaveProperty('alongside');
    const two = applyReply(checkoutSaga, one.state, replyToCommand(one.state, second), newId);
    expect(two.commands.map((c) => c.type)).toEqual(['payment.charge']);
    // Completed in the definition's order whatever order the replies came in (compensation runs it backwards).
    expect(two.state.completed).toEqual(['createOrder', 'reserveStock']);
    expect(two.state.data).toMatchObject({ reservationId: 'r-1' });
  });

  it('ignores a duplicate of a stage reply already applied', () => {
    const { t, newId } = started();
    const reply = replyToCommand(t.state, 'inventory.reserve');
    const one = applyReply(checkoutSaga, t.state, reply, newId);
    const again = applyReply(checkoutSaga, one.state, reply, newId);
    expect(again.changed).toBe(false);
    expect(again.events[0]).toMatchObject({ kind: 'reply.ignored' });
  });

  it.each([
    // [refused, answered before or after the refusal, its outcome, the compensations]
    ['inventory.reserve', 'after', 'succeeded', ['order.cancel']],
    ['inventory.reserve', 'before', 'succeeded', ['order.cancel']],
    ['order.create', 'after', 'succeeded', ['inventory.release']],
    ['order.create', 'before', 'succeeded', ['inventory.release']],
    ['order.create', 'after', 'failed', []],
  ] as const)(
    'a refused %s waits for the other reply (%s it, %s), then compensates %j',
    (refusedType, when, otherOutcome, expected) => {
      const { t, newId } = started();
      const otherType = refusedType === 'order.create' ? 'inventory.reserve' : 'order.create';
      let state = t.state;
      if (when === 'before')
        state = applyReply(checkoutSaga, state, replyToCommand(state, otherType, otherOutcome), newId).state;
      const refused = applyReply(checkoutSaga, state, replyToCommand(state, refusedType, 'failed'), newId);
      let end = refused;
      if (when === 'after') {
        // Still running: nothing is compensated while the other command may yet take effect.
        expect(refused).toMatchObject({ changed: true, commands: [] });
        expect(refused.state.status).toBe(SagaStatus.running);
        expect(refused.state.failure).toMatchObject({ code: 'refused', message: `${refusedType} refused` });
        end = applyReply(
          checkoutSaga,
          refused.state,
          replyToCommand(refused.state, otherType, otherOutcome),
          newId,
        );
      }
      // The saga's failure is the first refusal, whichever came second.
      expect(end.state.failure).toMatchObject({ message: `${refusedType} refused` });
      const { t: final, sent } = finishCompensation(end, newId);
      expect(sent).toEqual(expected);
      expect(final.state.status).toBe(SagaStatus.compensated);
    },
  );

  it('resends both commands on a timeout with their message ids, then abandons and compensates both', () => {
    const { t, newId } = started();
    const resent = applyTimeout(checkoutSaga, t.state, 2, newId);
    expect(resent.commands).toEqual(t.commands);
    expect(inFlight(resent.state).map((c) => c.sends)).toEqual([2, 2]);
    expect(resent.events.map((e) => e.kind)).toEqual(['command.resent', 'command.resent']);
    const abandoned = applyTimeout(checkoutSaga, resent.state, 2, newId);
    expect(abandoned.state.failure).toMatchObject({ code: 'step_timeout', step: 'createOrder' });
    const { t: final, sent } = finishCompensation(abandoned, newId);
    expect(sent).toEqual(['inventory.release', 'order.cancel']);
    expect(final.state.status).toBe(SagaStatus.compensated);
  });

  it('abandons only what is still in flight: a stage step that succeeded is compensated as completed', () => {
    const { t, newId } = started();
    const one = applyReply(checkoutSaga, t.state, replyToCommand(t.state, 'order.create'), newId);
    const abandoned = applyTimeout(checkoutSaga, one.state, 1, newId);
    expect(abandoned.state.failure).toMatchObject({ code: 'step_timeout', step: 'reserveStock' });
    expect(finishCompensation(abandoned, newId).sent).toEqual(['inventory.release', 'order.cancel']);
  });

  it('retry-step resends every command in flight; compensate abandons them all', () => {
    const { t, newId } = started();
    const retried = applied(applyOperatorAction(checkoutSaga, t.state, 'retry-step', actor, newId));
    expect(retried.commands).toEqual(t.commands);
    expect(retried.events.map((e) => (e.detail as { type: string }).type)).toEqual([
      'order.create',
      'inventory.reserve',
    ]);
    const compensated = applied(applyOperatorAction(checkoutSaga, t.state, 'compensate', actor, newId));
    expect(compensated.state.failure).toMatchObject({
      code: 'operator_compensated',
      message: `${actor} abandoned order.create and inventory.reserve and compensated the saga`,
    });
    expect(finishCompensation(compensated, newId).sent).toEqual(['inventory.release', 'order.cancel']);
  });

  it('ignores a late reply to a stage command abandoned by the operator', () => {
    const { t, newId } = started();
    const late = replyToCommand(t.state, 'inventory.reserve');
    const compensated = applied(applyOperatorAction(checkoutSaga, t.state, 'compensate', actor, newId));
    expect(applyReply(checkoutSaga, compensated.state, late, newId).changed).toBe(false);
  });
});

describe('defining a stage', () => {
  const build = () => ({ orderId: 'o' });
  it.each([
    ['a first step marked withPrevious', [{ withPrevious: true }], /first step/],
    ['an irreversible step in a stage', [{}, { withPrevious: true, irreversible: true }], /irreversible/],
    ['a stage after an irreversible step', [{ irreversible: true }, { withPrevious: true }], /irreversible/],
  ] as const)('refuses %s', (_, flags, message) => {
    expect(() =>
      defineSaga({
        name: 'x',
        data: z.object({}),
        keys: {},
        steps: (step) => flags.map((f, i) => step({ name: `s${i}`, command: 'order.confirm', build, ...f })),
      }),
    ).toThrow(message);
  });
});

const OrderData = z.object({ orderId: z.string() });
type OrderData = z.infer<typeof OrderData>;

/** A test-only saga on one order, with `steps` (their commands from the contracts). */
const orderSaga = (name: string, steps: (step: StepBuilder<OrderData>) => StepDefinition<OrderData>[]) =>
  defineSaga({ name, data: OrderData, keys: {}, steps });

/** Steps a (order.confirm) and b (shipping.cancel, with `b`'s flags), b sent together with a. */
const stageAB = (step: StepBuilder<OrderData>, b: { refusalRejects?: boolean } = {}) => [
  step({ name: 'a', command: 'order.confirm', build: (d) => ({ orderId: d.orderId }) }),
  step({
    name: 'b',
    command: 'shipping.cancel',
    build: (d) => ({ orderId: d.orderId }),
    withPrevious: true,
    ...b,
  }),
];

/** The reply to the command in flight of step `step`. */
function answerStep(state: SagaState, step: string, outcome: 'succeeded' | 'failed'): ReplyInput {
  const command = inFlight(state).find((c) => c.step === step)!;
  return replyTo({ ...state, awaiting: command }, outcome);
}

describe('a stage after an irreversible step', () => {
  // z cannot be undone; a and b run together after it; c comes last.
  const saga = orderSaga('staged', (step) => [
    step({
      name: 'z',
      command: 'payment.refund',
      build: (d) => ({ orderId: d.orderId, amountCents: 1, currency: 'EUR' }),
      irreversible: true,
    }),
    ...stageAB(step),
    step({ name: 'c', command: 'inventory.release', build: (d) => ({ orderId: d.orderId }) }),
  ]);
  const atStage = () => {
    const newId = ids();
    const start = startSaga(saga, { orderId: 'o-1' }, newId);
    return { t: applyReply(saga, start.state, answerStep(start.state, 'z', 'succeeded'), newId), newId };
  };

  it('stops for an operator once the stage has answered; retry-step resends only the refused step, then moves on', () => {
    const { t, newId } = atStage();
    expect(t.commands.map((c) => c.type)).toEqual(['order.confirm', 'shipping.cancel']);
    const refused = applyReply(saga, t.state, answerStep(t.state, 'a', 'failed'), newId);
    expect(refused.state.status).toBe(SagaStatus.running);
    const stopped = applyReply(saga, refused.state, answerStep(refused.state, 'b', 'succeeded'), newId);
    expect(stopped.state).toMatchObject({ status: SagaStatus.failed, awaiting: null, completed: ['z', 'b'] });
    expect(stopped.state.failure).toMatchObject({ code: 'past_irreversible_step', step: 'a' });
    expect(stopped.state).not.toHaveProperty('alongside');
    const retried = applied(applyOperatorAction(saga, stopped.state, 'retry-step', actor, newId));
    expect(retried.commands.map((c) => c.type)).toEqual(['order.confirm']);
    const moved = applyReply(saga, retried.state, answerStep(retried.state, 'a', 'succeeded'), newId);
    expect(moved.commands.map((c) => c.type)).toEqual(['inventory.release']);
    expect(moved.state.completed).toEqual(['z', 'a', 'b']);
  });

  it('resends both steps of the stage when both were refused, and waits for both again', () => {
    const { t, newId } = atStage();
    const one = applyReply(saga, t.state, answerStep(t.state, 'b', 'failed'), newId);
    const stopped = applyReply(saga, one.state, answerStep(one.state, 'a', 'failed'), newId);
    // The first refusal is the one the saga stopped on.
    expect(stopped.state.failure).toMatchObject({ code: 'past_irreversible_step', step: 'b' });
    const retried = applied(applyOperatorAction(saga, stopped.state, 'retry-step', actor, newId));
    expect(retried.commands.map((c) => c.type)).toEqual(['order.confirm', 'shipping.cancel']);
    const half = applyReply(saga, retried.state, answerStep(retried.state, 'b', 'succeeded'), newId);
    expect(half.commands).toEqual([]);
    const done = applyReply(saga, half.state, answerStep(half.state, 'a', 'succeeded'), newId);
    expect(done.commands.map((c) => c.type)).toEqual(['inventory.release']);
  });
});

describe('a refusal in a stage whose other step rejects', () => {
  // b's refusal alone would end the saga `rejected`; a's (which comes first here) compensates.
  const saga = orderSaga('rejecting', (step) => stageAB(step, { refusalRejects: true }));
  const answer = (state: SagaState, step: string) => answerStep(state, step, 'failed');

  it.each([
    ['a', 'b', SagaStatus.compensated],
    ['b', 'a', SagaStatus.rejected],
  ] as const)('ends as the first refusal (%s, then %s) decides: %s', (first, second, status) => {
    const newId = ids();
    const start = startSaga(saga, { orderId: 'o-1' }, newId);
    const one = applyReply(saga, start.state, answer(start.state, first), newId);
    const two = applyReply(saga, one.state, answer(one.state, second), newId);
    expect(two.state).toMatchObject({ status, failure: { step: first } });
  });
});
