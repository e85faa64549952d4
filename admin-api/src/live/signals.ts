// After every admin mutation: tell the live hub what the route may have changed (audit rows at least).
import type { MiddlewareHandler } from 'hono';
import type { AdminDeps, AdminEnv } from '../env.js';
import { isMutation } from '../auth/middleware.js';
import type { LiveSignal } from './changes.js';

/** Mutating routes that write nothing: checks and previews. */
const READ_ONLY_POSTS = /\/(?:validate|replay-preview)$/;
const UUID = '[0-9a-f-]{36}';

/** What a mutation of `path` (under /api/admin) may have changed; saga transitions signal from the engine. */
export function signalOf(path: string, actorId: string | undefined): LiveSignal {
  const dead = new RegExp(`/dead-letters/(${UUID})/`).exec(path);
  if (dead) return { audit: 1, deadLetters: [dead[1]!] };
  const job = new RegExp(`/replay-jobs/(${UUID})/`).exec(path);
  if (job) return { audit: 1, replayJobs: [job[1]!] };
  if (/\/users(?:\/|$)/.test(path)) return { audit: 1, users: true };
  if (/\/tokens(?:\/|$)/.test(path) && actorId) return { audit: 1, tokens: [actorId] };
  return { audit: 1 };
}

/**
 * Signals the hub after each mutation that may have written (most write an audit row, failed
 * sign-ins too), once its transaction committed: the answer is being sent.
 */
export function liveSignals(deps: AdminDeps): MiddlewareHandler<AdminEnv> {
  return async (c, next) => {
    await next();
    if (!deps.live || !isMutation(c.req.method) || READ_ONLY_POSTS.test(c.req.path)) return;
    const actor = c.get('actor') as AdminEnv['Variables']['actor'] | undefined;
    deps.live.signal(signalOf(c.req.path, actor?.id));
  };
}
