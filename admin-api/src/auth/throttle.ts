// Login throttling shared by every orchestrator: attempts per account and per client address, counted in PostgreSQL.
import { createHash } from 'node:crypto';
import { loginThrottle, type Database } from '@sagaport/db';
import { RateLimiterDrizzle, RateLimiterRes } from 'rate-limiter-flexible';

/** The window both limits count in: fifteen minutes. */
export const LOGIN_WINDOW_SECONDS = 15 * 60;

/** Whether an attempt may go ahead, and if not, when the next one may. */
export type AttemptDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

/** How many attempts each account and each client address get per window. */
export interface LoginThrottleLimits {
  readonly perAccount: number;
  readonly perAddress: number;
}

/**
 * The account's counter key. It is a hash, so what was typed (sometimes a password) is not kept;
 * anything that is not shaped like an email shares one key, so typing garbage cannot mint fresh
 * counters. Unknown emails are counted like known ones: a 429 must not reveal who has an account.
 */
function accountKey(email: string): string {
  const normalized = email.trim().toLowerCase();
  if (!/^[^\s@]+@[^\s@]+$/.test(normalized)) return 'not-an-email';
  return createHash('sha256').update(normalized).digest('base64url');
}

/**
 * Counts every login attempt against its account and its client address (rate-limiter-flexible's
 * atomic Drizzle store, so every orchestrator sees the same counts) and refuses it past either
 * limit. An attempt counts when it starts, so a parallel burst cannot slip through.
 */
export class LoginThrottle {
  readonly #byAccount: RateLimiterDrizzle;
  readonly #byAddress: RateLimiterDrizzle;

  constructor(db: Database, limits: LoginThrottleLimits, windowSeconds = LOGIN_WINDOW_SECONDS) {
    const store = { storeClient: db, schema: loginThrottle, duration: windowSeconds };
    this.#byAccount = new RateLimiterDrizzle({ ...store, keyPrefix: 'account', points: limits.perAccount });
    this.#byAddress = new RateLimiterDrizzle({ ...store, keyPrefix: 'address', points: limits.perAddress });
  }

  /** Counts an attempt for `email` from `address`, or refuses it with the seconds until it may be retried. */
  async attempt(email: string, address: string): Promise<AttemptDecision> {
    const outcomes = await Promise.allSettled([
      this.#byAccount.consume(accountKey(email)),
      this.#byAddress.consume(address),
    ]);
    const refusals: RateLimiterRes[] = [];
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') continue;
      // The store rejects with a RateLimiterRes past the limit, with an Error when PostgreSQL fails.
      if (!(outcome.reason instanceof RateLimiterRes)) throw outcome.reason;
      refusals.push(outcome.reason);
    }
    if (refusals.length === 0) return { allowed: true };
    const waitMs = Math.max(...refusals.map((refusal) => refusal.msBeforeNext));
    return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(waitMs / 1000)) };
  }

  /** After a successful sign-in: the account's failures are forgotten and the address gets its attempt back. */
  async succeeded(email: string, address: string): Promise<void> {
    await Promise.all([this.#byAccount.delete(accountKey(email)), this.#byAddress.reward(address, 1)]);
  }

  /**
   * Counts a check of the signed-in user's current password (changing it) against the account,
   * so a borrowed session cannot guess it faster than the login page could.
   */
  async attemptForAccount(email: string): Promise<AttemptDecision> {
    try {
      await this.#byAccount.consume(accountKey(email));
      return { allowed: true };
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil(error.msBeforeNext / 1000)) };
    }
  }
}
