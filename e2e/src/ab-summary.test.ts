import { describe, expect, it } from 'vitest';
import { orderOf, summarize, type BenchLine } from './ab-summary.js';

const line = (sagas: number, cpu: number, extra: Partial<BenchLine> = {}): BenchLine => ({
  sagas_per_s: sagas,
  cpu_ms_per_saga: cpu,
  p50_ms: 100,
  p99_ms: 200,
  errors: 0,
  consistent: true,
  ...extra,
});

describe('A/B summary', () => {
  it('alternates which build runs first', () => {
    expect([0, 1, 2, 3].map(orderOf)).toEqual([
      ['base', 'head'],
      ['head', 'base'],
      ['base', 'head'],
      ['head', 'base'],
    ]);
  });

  it('gives each pair its ratios, their medians, and the pairs the head won', () => {
    const summary = summarize([
      { base: line(100, 10), head: line(110, 9) },
      { base: line(200, 5), head: line(180, 5.5) },
      { base: line(150, 8), head: line(180, 6) },
    ]);
    expect(summary.ratios.sagas_per_s).toEqual([1.1, 0.9, 1.2]);
    expect(summary.ratios.cpu_ms_per_saga).toEqual([0.9, 1.1, 0.75]);
    expect(summary.median_ratio).toMatchObject({ sagas_per_s: 1.1, cpu_ms_per_saga: 0.9, p50_ms: 1 });
    expect(summary).toMatchObject({ pairs: 3, head_faster: 2, head_cheaper: 2, all_clean: true });
  });

  it('takes the mean of the middle two for an even count, and flags a run with errors or broken books', () => {
    const summary = summarize([
      { base: line(100, 10), head: line(110, 9) },
      { base: line(100, 10), head: line(130, 9, { errors: 2 }) },
    ]);
    expect(summary.median_ratio.sagas_per_s).toBe(1.2);
    expect(summary.all_clean).toBe(false);
    expect(summarize([{ base: line(1, 1, { consistent: false }), head: line(1, 1) }]).all_clean).toBe(false);
  });

  it('refuses an empty series', () => {
    expect(() => summarize([])).toThrow('no pairs');
  });
});
