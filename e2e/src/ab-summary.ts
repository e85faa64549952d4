// What alternating benchmark runs of two builds say: the pairs' ratios and their medians.

/** The fields of a benchmark line an A/B compares. */
export interface BenchLine {
  readonly sagas_per_s: number;
  readonly cpu_ms_per_saga: number;
  readonly p50_ms: number;
  readonly p99_ms: number;
  readonly errors: number;
  readonly consistent: boolean;
}

/** One pair: the base's run and the head's, taken one right after the other. */
export interface Pair {
  readonly base: BenchLine;
  readonly head: BenchLine;
}

const COMPARED = ['sagas_per_s', 'cpu_ms_per_saga', 'p50_ms', 'p99_ms'] as const;
type Compared = (typeof COMPARED)[number];

/**
 * Which build runs first in pair `index`: they take turns, so a machine that speeds up or slows
 * down over the series favours neither.
 */
export function orderOf(index: number): readonly ['base', 'head'] | readonly ['head', 'base'] {
  return index % 2 === 0 ? (['base', 'head'] as const) : (['head', 'base'] as const);
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

const round = (value: number, digits = 3) => Number(value.toFixed(digits));

/**
 * The summary of a series: per field, the head's value over the base's in each pair and their
 * median (sagas/s above 1 and the rest below 1 mean the head is better), how many pairs the head
 * won on sagas/s and on CPU per saga, and whether every run balanced its books without errors.
 */
export function summarize(pairs: readonly Pair[]) {
  if (pairs.length === 0) throw new Error('no pairs to summarize');
  const ratios = Object.fromEntries(
    COMPARED.map((field) => [field, pairs.map((p) => round(p.head[field] / p.base[field]))]),
  ) as Record<Compared, number[]>;
  return {
    pairs: pairs.length,
    median_ratio: Object.fromEntries(COMPARED.map((f) => [f, round(median(ratios[f]))])) as Record<
      Compared,
      number
    >,
    ratios,
    head_faster: pairs.filter((p) => p.head.sagas_per_s > p.base.sagas_per_s).length,
    head_cheaper: pairs.filter((p) => p.head.cpu_ms_per_saga < p.base.cpu_ms_per_saga).length,
    all_clean: pairs.every((p) => [p.base, p.head].every((r) => r.errors === 0 && r.consistent)),
  };
}
