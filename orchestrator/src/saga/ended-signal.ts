// Tells waiting HTTP requests when a saga ends: from the engine when this process ended it, else from PostgreSQL NOTIFY.
import type { DatabaseHandle } from '@sagaport/db';
import { SAGA_ENDED_CHANNEL } from './engine.js';
import type { EndedSaga } from './store.js';

/** How long a NOTIFY waits before waking a saga's waiters, so that endedHere comes first. */
const NOTIFY_GRACE_MS = 10;

/** One LISTEN per process; requests register for a saga id and are resolved when it ends. */
export class SagaEndedSignal {
  private readonly waiters = new Map<string, Set<(saga?: EndedSaga) => void>>();
  private unlisten: (() => Promise<void>) | undefined;

  /** `notifyGraceMs`: how long a NOTIFY waits before waking a saga's waiters (see {@link start}). */
  constructor(
    private readonly database: DatabaseHandle,
    private readonly notifyGraceMs = NOTIFY_GRACE_MS,
  ) {}

  async start(): Promise<void> {
    const listener = await this.database.sql.listen(SAGA_ENDED_CHANNEL, (payload) => {
      const sagaId = payload.slice(0, payload.indexOf(':'));
      if (!this.waiters.has(sagaId)) return;
      // The NOTIFY of a saga this process ended often arrives before or with the COMMIT's answer
      // (they come on two connections), and was then heard first: its waiters, told only that it
      // ended, read the row back. Heard a few milliseconds later, it leaves them to endedHere,
      // which brings the row; a saga another process ended is answered that much later.
      setTimeout(() => {
        const waiting = this.waiters.get(sagaId);
        if (!waiting) return;
        this.waiters.delete(sagaId);
        for (const resolve of waiting) resolve();
      }, this.notifyGraceMs).unref();
    });
    this.unlisten = () => listener.unlisten();
  }

  async stop(): Promise<void> {
    await this.unlisten?.();
    for (const waiting of this.waiters.values()) for (const resolve of waiting) resolve();
    this.waiters.clear();
  }

  /**
   * Tells the waiters of a saga that this process ended it, with the row as it committed; the
   * NOTIFY that follows finds no one waiting. Waiters of sagas other processes end hear only
   * the NOTIFY.
   */
  endedHere(saga: EndedSaga): void {
    const waiting = this.waiters.get(saga.id);
    if (!waiting) return;
    this.waiters.delete(saga.id);
    for (const resolve of waiting) resolve(saga);
  }

  /**
   * Starts listening for the end of `sagaId` now, before anything could end it (a saga this
   * process is about to start): `wait` then needs no check of the saga's current state.
   */
  register(sagaId: string): {
    wait(timeoutMs: number): Promise<boolean>;
    cancel(): void;
    /** The saga as it ended, when this process ended it (see {@link endedHere}). */
    readonly endedAs: EndedSaga | undefined;
  } {
    let resolveEnded!: (saga?: EndedSaga) => void;
    let endedAs: EndedSaga | undefined;
    const ended = new Promise<void>(
      (resolve) =>
        (resolveEnded = (saga) => {
          endedAs = saga;
          resolve();
        }),
    );
    const waiting = this.waiters.get(sagaId) ?? new Set();
    waiting.add(resolveEnded);
    this.waiters.set(sagaId, waiting);
    const cancel = () => {
      waiting.delete(resolveEnded);
      if (waiting.size === 0 && this.waiters.get(sagaId) === waiting) this.waiters.delete(sagaId);
    };
    return {
      cancel,
      get endedAs() {
        return endedAs;
      },
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
