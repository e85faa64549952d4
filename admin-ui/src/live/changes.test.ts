import { describe, expect, it } from 'vitest';
import { staleKeys } from './changes.js';

describe('what a live change makes stale', () => {
  it('names each saga that moved, and the lists and counts that show sagas', () => {
    expect(staleKeys({ sagas: { count: 2, ids: ['a', 'b'] } })).toEqual([
      ['saga-stats'],
      ['sagas'],
      ['saga', 'a'],
      ['saga', 'b'],
    ]);
  });

  it('marks every saga stale when more moved than the change lists', () => {
    expect(staleKeys({ sagas: { count: 500, ids: ['a'] } })).toContainEqual(['saga']);
    expect(staleKeys({ sagas: { count: 500, ids: ['a'] } })).not.toContainEqual(['saga', 'a']);
  });

  it('refreshes dead letters, their groups, previews and saga pages; jobs, audit, users and tokens by kind', () => {
    const keys = staleKeys({
      deadLetters: { count: 1, ids: ['d'] },
      replayJobs: { count: 1, ids: ['j'] },
      audit: { count: 3 },
      users: { count: 1 },
      tokens: { count: 1, owners: ['u'] },
    });
    for (const key of [
      ['dead-letters'],
      ['dead-letter-groups'],
      ['dead-letter', 'd'],
      ['dead-letter-preview', 'd'],
      ['saga'],
      ['replay-jobs'],
      ['audit'],
      ['users'],
      ['tokens'],
    ])
      expect(keys).toContainEqual(key);
    expect(staleKeys({})).toEqual([]);
  });
});
