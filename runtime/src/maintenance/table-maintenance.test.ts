// When the table maintenance asks for fresh planner statistics.
import { describe, expect, it } from 'vitest';
import { needsStatistics } from './table-maintenance.js';

describe('needsStatistics', () => {
  it('analyzes a table that has rows and was never analyzed, not an empty one', () => {
    expect(needsStatistics(0, 0, -1)).toBe(false);
    expect(needsStatistics(49, 49, -1)).toBe(false);
    expect(needsStatistics(50, 50, -1)).toBe(true);
  });

  it('analyzes a growing table each time it doubles, not at every tenth', () => {
    // Analyzed at 10,000 rows: 11,000 (autovacuum would analyze) is not due, 20,100 is.
    expect(needsStatistics(11_000, 1_000, 10_000)).toBe(false);
    expect(needsStatistics(20_099, 10_099, 10_000)).toBe(false);
    expect(needsStatistics(20_100, 10_100, 10_000)).toBe(true);
    // Analyzed while empty (reltuples 0): the first hundred rows make it due.
    expect(needsStatistics(100, 100, 0)).toBe(true);
  });

  it('analyzes a table whose rows changed four times over without growing', () => {
    expect(needsStatistics(8, 81, 8)).toBe(false);
    expect(needsStatistics(8, 82, 8)).toBe(true);
    expect(needsStatistics(1_000, 4_049, 1_000)).toBe(false);
    expect(needsStatistics(1_000, 4_050, 1_000)).toBe(true);
  });
});
