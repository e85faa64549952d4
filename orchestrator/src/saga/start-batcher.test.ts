// The start batcher's grouping, alone (the statement it calls is tested against PostgreSQL in engine.int.test.ts).
import { describe, expect, it } from 'vitest';
import { StartBatcher, type WriteStarts } from './start-batcher.js';
import type { SagaStart } from './store.js';

const start = (key: string): SagaStart =>
  ({ idempotencyKey: key, sagaId: `saga-${key}` }) as unknown as SagaStart;
const rowsFor = (s: SagaStart) => [{ correlationId: s.sagaId }] as never;

function recording(fail?: (batch: readonly SagaStart[]) => boolean) {
  const batches: string[][] = [];
  const write: WriteStarts = async (batch) => {
    batches.push(batch.map((s) => s.idempotencyKey));
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (fail?.(batch)) throw new Error(`refused ${batch.map((s) => s.idempotencyKey).join(',')}`);
    return batch.map(rowsFor);
  };
  return { batches, write };
}

describe('StartBatcher', () => {
  it('writes a lone start at once, by itself', async () => {
    const { batches, write } = recording();
    const batcher = new StartBatcher(write);
    expect(await batcher.insert(start('a'))).toEqual([{ correlationId: 'saga-a' }]);
    expect(batches).toEqual([['a']]);
  });

  it('writes the starts of one turn together, and those that arrive while it writes as the next batch', async () => {
    const { batches, write } = recording();
    const batcher = new StartBatcher(write);
    const first = ['a', 'b', 'c'].map((k) => batcher.insert(start(k)));
    await new Promise((resolve) => setImmediate(resolve));
    const second = ['d', 'e'].map((k) => batcher.insert(start(k)));
    const results = await Promise.all([...first, ...second]);
    expect(batches).toEqual([
      ['a', 'b', 'c'],
      ['d', 'e'],
    ]);
    expect(results.map((r) => r![0]!.correlationId)).toEqual([
      'saga-a',
      'saga-b',
      'saga-c',
      'saga-d',
      'saga-e',
    ]);
  });

  it('never puts two starts with one idempotency key in a batch', async () => {
    const { batches, write } = recording();
    const batcher = new StartBatcher(write);
    await Promise.all(['a', 'b', 'a'].map((k) => batcher.insert(start(k))));
    expect(batches).toEqual([['a', 'b'], ['a']]);
  });

  it('writes a failed batch again one start at a time: only the start that fails alone fails', async () => {
    const { batches, write } = recording((batch) => batch.some((s) => s.idempotencyKey === 'bad'));
    const batcher = new StartBatcher(write);
    const outcomes = await Promise.allSettled(['a', 'bad', 'c'].map((k) => batcher.insert(start(k))));
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(batches).toEqual([['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
  });
});
