// Tells waiting HTTP requests when a saga ends, from PostgreSQL NOTIFY (any orchestrator may end it).
import type { DatabaseHandle } from '@sagaport/db';
import { SAGA_ENDED_CHANNEL } from './engine.js';

/** One LISTEN per process; requests register for a saga id and are resolved when it ends. */
export class SagaEndedSignal {
  private readonly waiters = new Map<string, Set<() => void>>();
  private unlisten: (() => Promise<void>) | undefined;

  constructor(private readonly database: DatabaseHandle) {}

  async start(): Promise<void> {
    const listener = await this.database.sql.listen(SAGA_ENDED_CHANNEL, (payload) => {
      const sagaId = payload.slice(0, payload.indexOf(':'));
      const waiting = this.waiters.get(sagaId);
      if (!waiting) return;
      this.waiters.delete(sagaId);
      for (const resolve of waiting) resolve();
    });
    this.unlisten = () => listener.unlisten();
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
    for (const waiting of this.waiters.values()) for (const resolve of waiting) resolve();
    this.waiters.clear();
  }

  /**
   * Resolves true when the saga ends within `timeoutMs`, false otherwise. `alreadyEnded` is
   * checked after registering, so an end that lands between the check and the wait is not missed.
   */
  /**
   * Starts listening for the end of `sagaId` now, before anything could end it (a saga this
   * process is about to start): `wait` then needs no check of the saga's current state.
   */
  register(sagaId: string): { wait(timeoutMs: number): Promise<boolean>; cancel(): void } {
    let resolveEnded!: () => void;
    const ended = new Promise<void>((resolve) => (resolveEnded = resolve));
    const waiting = this.waiters.get(sagaId) ?? new Set();
    waiting.add(resolveEnded);
    this.waiters.set(sagaId, waiting);
    const cancel = () => {
      waiting.delete(resolveEnded);
      if (waiting.size === 0 && this.waiters.get(sagaId) === waiting) this.waiters.delete(sagaId);
    };
    return {
      cancel,
      wait: async (timeoutMs) => {
        let timer: NodeJS.Timeout | undefined;
        try {
          return await Promise.race([
            ended.then(() => true),
            new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(false), timeoutMs))),
          ]);
        } finally {
          clearTimeout(timer);
          cancel();
        }
      },
    };
  }

  /**
   * Waits until `sagaId` ends or `timeoutMs` passes; resolves whether it ended. The waiter is
   * registered before `alreadyEnded` checks the saga, so an end in between is not missed.
   */
  async waitForEnd(
    sagaId: string,
    timeoutMs: number,
    alreadyEnded: () => Promise<boolean>,
  ): Promise<boolean> {
    const watch = this.register(sagaId);
    try {
      if (await alreadyEnded()) {
        watch.cancel();
        return true;
      }
    } catch (error) {
      watch.cancel();
      throw error;
    }
    return watch.wait(timeoutMs);
  }
}
