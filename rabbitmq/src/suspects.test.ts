import type { ConsumeMessage } from 'amqplib';
import { describe, expect, it } from 'vitest';
import { CrashLoopError, MemoryCrashLedger, SuspectLane, suspectKey } from './suspects.js';

const delivery = (messageId?: string, content = '{}') =>
  ({
    fields: { redelivered: true },
    properties: { messageId },
    content: Buffer.from(content),
  }) as unknown as ConsumeMessage;

/** A promise with its resolver, to hold a piece of work open. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('SuspectLane', () => {
  it('runs a suspect only once the running batches are done, and holds new batches until it is', async () => {
    const lane = new SuspectLane({ ledger: new MemoryCrashLedger(), crashLimit: 2 });
    const order: string[] = [];
    const first = gate();
    const batch1 = lane.withBatch(async () => {
      order.push('batch 1 starts');
      await first.opened;
      order.push('batch 1 ends');
    });
    await tick();
    const suspect = lane.alone(
      'q',
      delivery('m-1'),
      async () => {
        order.push('suspect runs');
        await tick();
        order.push('suspect ends');
      },
      () => Promise.reject(new Error('not judged')),
    );
    const batch2 = lane.withBatch(async () => {
      order.push('batch 2 runs');
    });
    await tick();
    expect(order).toEqual(['batch 1 starts']);
    first.open();
    await Promise.all([batch1, suspect, batch2]);
    expect(order).toEqual(['batch 1 starts', 'batch 1 ends', 'suspect runs', 'suspect ends', 'batch 2 runs']);
  });

  it('runs suspects one at a time', async () => {
    const lane = new SuspectLane({ crashLimit: 1 });
    let running = 0;
    let most = 0;
    const run = async () => {
      running += 1;
      most = Math.max(most, running);
      await tick();
      running -= 1;
    };
    const reject = () => Promise.reject(new Error('no ledger, never judged'));
    await Promise.all(['a', 'b', 'c'].map((id) => lane.alone('q', delivery(id), run, reject)));
    expect(most).toBe(1);
  });

  it('dead-letters a suspect whose earlier runs alone never finished, once they reach the crash limit', async () => {
    const ledger = new MemoryCrashLedger();
    const lane = new SuspectLane({ ledger, crashLimit: 2 });
    const key = suspectKey('orders', delivery('m-1'));
    // Two processes died running it alone: their runs began and never ended.
    await ledger.begin(key);
    expect(
      await lane.alone(
        'orders',
        delivery('m-1'),
        () => Promise.resolve('ran'),
        () => Promise.resolve('dead-lettered'),
      ),
    ).toBe('ran');
    await ledger.begin(key);
    await ledger.begin(key);
    let reason: CrashLoopError | undefined;
    const outcome = await lane.alone(
      'orders',
      delivery('m-1'),
      () => Promise.resolve('ran'),
      (error) => {
        reason = error;
        return Promise.resolve('dead-lettered');
      },
    );
    expect(outcome).toBe('dead-lettered');
    expect(reason).toBeInstanceOf(CrashLoopError);
    expect(reason?.message).toMatch(
      /died 2 time\(s\) while it ran this message alone \(AMQP_CRASH_LIMIT 2\)/,
    );
    // Judged and done: the ledger forgets it, as it does a message that ran.
    expect(ledger.runs.size).toBe(0);
  });

  it('runs a suspect when the ledger cannot be reached (the delivery limit still guards)', async () => {
    const lane = new SuspectLane({
      ledger: { begin: () => Promise.reject(new Error('ECONNREFUSED')), end: () => Promise.resolve() },
      crashLimit: 1,
    });
    expect(
      await lane.alone(
        'q',
        delivery('m-1'),
        () => Promise.resolve('ran'),
        () => Promise.resolve('dead-lettered'),
      ),
    ).toBe('ran');
  });

  it('keys a delivery by queue and message id, or by a digest of its body when it has no id', () => {
    expect(suspectKey('orders', delivery('m-1'))).toBe('orders/m-1');
    const a = suspectKey('orders', delivery(undefined, '{"a":1}'));
    expect(a).toMatch(/^orders\/sha256:[0-9a-f]{64}$/);
    expect(suspectKey('orders', delivery(undefined, '{"a":1}'))).toBe(a);
    expect(suspectKey('orders', delivery(undefined, '{"a":2}'))).not.toBe(a);
  });

  it('refuses a crash limit below one', () => {
    expect(() => new SuspectLane({ crashLimit: 0 })).toThrow(
      /crashLimit must be a whole number of at least 1/,
    );
  });
});
