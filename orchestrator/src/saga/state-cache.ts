// The states this engine last wrote, so a reply to a saga it just moved is decided without reading the saga back.
import type { SagaState } from './types.js';

/** A saga as this process last wrote it. */
export interface CachedSaga {
  readonly sagaType: string;
  readonly state: SagaState;
  readonly version: number;
  readonly createdAt: Date;
}

/**
 * A bounded map of saga id → the state and version this process committed last. It is a hint,
 * never the truth: every transition decided from it is written only if the saga is still at
 * that version (see writeTransitions), so an entry made stale by another orchestrator, a
 * timeout or an operator costs one more read, never a wrong decision. The oldest entries go
 * first when it is full; a saga leaves it when it ends.
 */
export class SagaStateCache {
  private readonly entries = new Map<string, CachedSaga>();

  constructor(private readonly maxEntries: number) {}

  get size(): number {
    return this.entries.size;
  }

  get(sagaId: string): CachedSaga | undefined {
    return this.entries.get(sagaId);
  }

  /** Keeps `saga` unless a newer version of it is kept already (commits can be seen out of order). */
  set(sagaId: string, saga: CachedSaga): void {
    if (this.maxEntries <= 0) return;
    const kept = this.entries.get(sagaId);
    if (kept && kept.version > saga.version) return;
    this.entries.delete(sagaId);
    this.entries.set(sagaId, saga);
    if (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
  }

  delete(sagaId: string): void {
    this.entries.delete(sagaId);
  }
}
