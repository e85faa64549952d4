import { describe, expect, it } from 'vitest';
import { SagaStateCache, type CachedSaga } from './state-cache.js';
import type { SagaState } from './types.js';

const state = (step: string): SagaState => ({
  status: 'running',
  data: {},
  completed: [],
  toCompensate: [],
  awaiting: { step, phase: 'forward', type: 'order.create', messageId: step, sends: 1, payload: {} },
  failure: null,
});

const saga = (version: number, step = `step-${version}`): CachedSaga => ({
  sagaType: 'checkout',
  state: state(step),
  version,
  createdAt: new Date(0),
});

describe('SagaStateCache', () => {
  it('keeps the newest version of a saga, whatever order the commits are seen in', () => {
    const cache = new SagaStateCache(10);
    cache.set('a', saga(2));
    cache.set('a', saga(1)); // an older commit seen late
    expect(cache.get('a')?.version).toBe(2);
    cache.set('a', saga(3));
    expect(cache.get('a')?.version).toBe(3);
  });

  it('lets the oldest saga go when full, counting a saga written again as new', () => {
    const cache = new SagaStateCache(2);
    cache.set('a', saga(1));
    cache.set('b', saga(1));
    cache.set('a', saga(2)); // `a` is now the newest
    cache.set('c', saga(1));
    expect(cache.get('b')).toBeUndefined();
    expect(cache.get('a')?.version).toBe(2);
    expect(cache.get('c')?.version).toBe(1);
    expect(cache.size).toBe(2);
  });

  it('forgets a saga on delete, and keeps nothing when its size is 0', () => {
    const cache = new SagaStateCache(2);
    cache.set('a', saga(1));
    cache.delete('a');
    expect(cache.get('a')).toBeUndefined();
    const none = new SagaStateCache(0);
    none.set('a', saga(1));
    expect(none.get('a')).toBeUndefined();
    expect(none.size).toBe(0);
  });
});
