import { describe, expect, it } from 'vitest';
import { planRetry } from './retry.js';

const tiers = [
  { name: '1s', delayMs: 1_000 },
  { name: '5s', delayMs: 5_000 },
  { name: '30s', delayMs: 30_000 },
];

describe('planRetry', () => {
  it('walks up the tiers, one per attempt, and repeats the last tier', () => {
    const policy = { tiers, maxAttempts: 6, jitter: 0 };
    const names = [1, 2, 3, 4, 5].map((attempt) => {
      const plan = planRetry(attempt, policy);
      return plan.kind === 'retry' ? `${plan.tier.name}->${plan.nextAttempt}` : plan.kind;
    });
    expect(names).toEqual(['1s->2', '5s->3', '30s->4', '30s->5', '30s->6']);
  });

  it('dead-letters once the attempts are used up', () => {
    expect(planRetry(5, { tiers, maxAttempts: 5 })).toMatchObject({ kind: 'dead-letter' });
    expect(planRetry(1, { tiers, maxAttempts: 1 })).toMatchObject({ kind: 'dead-letter' });
  });

  it('keeps the jittered delay within ±jitter of the tier', () => {
    const low = planRetry(1, { tiers, maxAttempts: 5, jitter: 0.2 }, () => 0);
    const high = planRetry(1, { tiers, maxAttempts: 5, jitter: 0.2 }, () => 0.999999);
    expect(low).toMatchObject({ kind: 'retry', delayMs: 800 });
    expect(high).toMatchObject({ kind: 'retry', delayMs: 1_200 });
  });
});
