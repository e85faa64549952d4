import { describe, expect, it } from 'vitest';
import { coalesce } from './coalesce.js';
import type { WorkerSql } from './sql.js';

/** Two stand-ins for two transactions: the helper only uses them as keys. */
const tx1 = (() => {}) as unknown as WorkerSql;
const tx2 = (() => {}) as unknown as WorkerSql;

describe('coalesce', () => {
  it('runs the calls made side by side on one transaction as one statement, each with its own result', async () => {
    const runs: { sql: WorkerSql; inputs: readonly number[] }[] = [];
    const double = coalesce(async (sql, inputs: readonly number[]) => {
      runs.push({ sql, inputs });
      return inputs.map((n) => n * 2);
    });
    const results = await Promise.all([double(tx1, 1), double(tx1, 2), double(tx2, 5), double(tx1, 3)]);
    expect(results).toEqual([2, 4, 10, 6]);
    expect(runs).toEqual([
      { sql: tx1, inputs: [1, 2, 3] },
      { sql: tx2, inputs: [5] },
    ]);
  });

  it('starts a new statement for a call made after the group was sent', async () => {
    const runs: (readonly string[])[] = [];
    const echo = coalesce(async (_sql, inputs: readonly string[]) => {
      runs.push(inputs);
      return inputs;
    });
    const first = echo(tx1, 'a');
    await first;
    expect(await echo(tx1, 'b')).toBe('b');
    expect(runs).toEqual([['a'], ['b']]);
  });

  it('fails every call of the group with the statement error', async () => {
    const failing = coalesce<number, number>(async () => {
      throw new Error('deadlock detected');
    });
    const settled = await Promise.allSettled([failing(tx1, 1), failing(tx1, 2)]);
    expect(settled.map((s) => s.status)).toEqual(['rejected', 'rejected']);
    expect(settled.map((s) => ((s as PromiseRejectedResult).reason as Error).message)).toEqual([
      'deadlock detected',
      'deadlock detected',
    ]);
  });

  it('fails the group when the statement answers for fewer inputs than it was given', async () => {
    const short = coalesce(async (_sql, inputs: readonly number[]) => inputs.slice(1));
    const settled = await Promise.allSettled([short(tx1, 1), short(tx1, 2)]);
    expect(settled.every((s) => s.status === 'rejected')).toBe(true);
    expect(((settled[0] as PromiseRejectedResult).reason as Error).message).toMatch(
      /returned 1 results for 2 inputs/,
    );
  });
});
