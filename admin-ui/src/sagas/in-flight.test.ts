import { describe, expect, it } from 'vitest';
import { stepsInFlight } from './in-flight.js';

describe('the steps a saga awaits', () => {
  it('are the current step and those of its stage in flight alongside it', () => {
    const state = { awaiting: { step: 'createOrder' }, alongside: [{ step: 'reserveStock' }] };
    expect(stepsInFlight({ currentStep: 'createOrder', state })).toEqual(['createOrder', 'reserveStock']);
  });

  it('are the current step alone in a linear saga, and none once it ended', () => {
    expect(
      stepsInFlight({ currentStep: 'chargePayment', state: { awaiting: { step: 'chargePayment' } } }),
    ).toEqual(['chargePayment']);
    expect(stepsInFlight({ currentStep: null, state: { awaiting: null } })).toEqual([]);
  });

  it('ignore a state that does not have the expected shape', () => {
    expect(stepsInFlight({ currentStep: 'x', state: { alongside: 'nonsense' } })).toEqual(['x']);
    expect(stepsInFlight({ currentStep: 'x', state: { alongside: [null, { step: 3 }] } })).toEqual(['x']);
    expect(stepsInFlight({ currentStep: 'x' })).toEqual(['x']);
  });
});
