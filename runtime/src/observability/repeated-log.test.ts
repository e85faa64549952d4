import { describe, expect, it } from 'vitest';
import { RepeatedLog } from './repeated-log.js';

describe('RepeatedLog', () => {
  it('reports the first occurrence at once, then at most once per interval with every occurrence since', () => {
    let now = 1_000;
    const log = new RepeatedLog(30_000, () => now);
    expect(log.record(3)).toBe(3);
    now += 500;
    expect(log.record(2)).toBeUndefined();
    now += 500;
    expect(log.record()).toBeUndefined();
    now += 29_000;
    expect(log.record(4)).toBe(7);
    now += 29_999;
    expect(log.record()).toBeUndefined();
    now += 1;
    expect(log.record()).toBe(2);
  });
});
