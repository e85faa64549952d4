// The retry policy: which delay tier a transiently failed message waits in, and when to give up.
import type { RetryTier } from './topology.js';

export interface RetryPolicy {
  readonly tiers: readonly RetryTier[];
  /** Deliveries in all, the first included; after the last one fails the message is dead-lettered. */
  readonly maxAttempts: number;
  /** Spread of the delay, as a fraction: 0.2 means ±20 %, so retries of a burst do not arrive together. */
  readonly jitter?: number;
}

export type RetryPlan =
  | {
      readonly kind: 'retry';
      readonly tier: RetryTier;
      readonly delayMs: number;
      readonly nextAttempt: number;
    }
  | { readonly kind: 'dead-letter'; readonly reason: string };

/**
 * Plans what follows a transient failure of delivery number `attempt` (1-based): the n-th retry
 * waits in the n-th tier (the tiers grow, so the backoff is exponential), the last tier repeats.
 */
export function planRetry(
  attempt: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): RetryPlan {
  if (attempt >= policy.maxAttempts || policy.tiers.length === 0) {
    return { kind: 'dead-letter', reason: `gave up after ${attempt} of ${policy.maxAttempts} attempts` };
  }
  const tier = policy.tiers[Math.min(attempt - 1, policy.tiers.length - 1)]!;
  const jitter = policy.jitter ?? 0.2;
  const factor = 1 - jitter + 2 * jitter * random();
  return {
    kind: 'retry',
    tier,
    delayMs: Math.max(1, Math.round(tier.delayMs * factor)),
    nextAttempt: attempt + 1,
  };
}
