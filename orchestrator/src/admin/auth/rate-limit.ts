// Login throttling: a fixed window of attempts per (client address, email), kept in process memory.
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/** Fifteen minutes, the window the setting `loginAttemptsPer15Min` counts in. */
export const LOGIN_WINDOW_MS = 15 * 60_000;

/** Keys kept before expired windows are swept and, if still too many, the oldest dropped. */
const MAX_KEYS = 10_000;

interface Window {
  startedAt: number;
  attempts: number;
}

/** Whether an attempt may go ahead, and if not, when the next one may. */
export type AttemptDecision =
  { readonly allowed: true } | { readonly allowed: false; readonly retryAfterSeconds: number };

/**
 * Counts login attempts per key and refuses them past `limit` in a window. An attempt counts when
 * it starts (so a parallel burst cannot slip through); a successful login {@link reset}s its key.
 * Per process: several orchestrators each allow `limit`.
 */
export class LoginRateLimiter {
  readonly #windows = new Map<string, Window>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number = LOGIN_WINDOW_MS,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts an attempt for `key`, or refuses it with the seconds until its window ends. */
  attempt(key: string): AttemptDecision {
    const now = this.now();
    let window = this.#windows.get(key);
    if (!window || now - window.startedAt >= this.windowMs) {
      this.#makeRoom(now);
      window = { startedAt: now, attempts: 0 };
      this.#windows.delete(key);
      this.#windows.set(key, window);
    }
    if (window.attempts >= this.limit) {
      return {
        allowed: false,
        retryAfterSeconds: Math.max(1, Math.ceil((window.startedAt + this.windowMs - now) / 1000)),
      };
    }
    window.attempts += 1;
    return { allowed: true };
  }

  /** Forgets `key`'s attempts (after a successful login). */
  reset(key: string): void {
    this.#windows.delete(key);
  }

  /** Keys currently tracked (for tests and metrics). */
  get size(): number {
    return this.#windows.size;
  }

  #makeRoom(now: number): void {
    if (this.#windows.size < MAX_KEYS) return;
    for (const [key, window] of this.#windows) {
      if (now - window.startedAt >= this.windowMs) this.#windows.delete(key);
    }
    // Map iteration is insertion order, so the first keys are the oldest windows.
    for (const key of this.#windows.keys()) {
      if (this.#windows.size < MAX_KEYS) break;
      this.#windows.delete(key);
    }
  }
}

/** The throttling key of a login: client address and lower-cased email. */
export function loginKey(c: Context, email: string): string {
  return `${clientAddress(c)}|${email.trim().toLowerCase()}`;
}

/** The client's address: first `X-Forwarded-For` entry, else the socket's, else 'unknown' (in-process requests). */
export function clientAddress(c: Context): string {
  const forwarded = c.req.header('x-forwarded-for')?.split(',')[0]?.trim();
  if (forwarded) return forwarded.slice(0, 100);
  try {
    return getConnInfo(c).remote.address ?? 'unknown';
  } catch {
    return 'unknown';
  }
}
