import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PrivateBroker, sweepOrphanedBrokers } from './testing.js';

/** Whether a process with this pid still exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// `rabbitmq-server` is a script whose child is the Erlang VM: a kill must reach the VM, or the
// node keeps running (its ports held, its files deleted) for the rest of the test run and after.
describe('a private RabbitMQ node, killed', () => {
  it.each([
    ['dispose({ kill: true })', (node: PrivateBroker) => node.dispose({ kill: true })],
    [
      'killNow()',
      async (node: PrivateBroker) => {
        node.killNow();
        await node.dispose();
      },
    ],
  ])(
    'leaves no Erlang VM behind after %s',
    async (_, kill) => {
      const node = await PrivateBroker.start();
      const vm = Number((await node.ctl('eval', 'list_to_integer(os:getpid()).')).trim());
      expect(alive(vm)).toBe(true);
      await kill(node);
      await expect.poll(() => alive(vm), { timeout: 10_000 }).toBe(false);
    },
    120_000,
  );
});

describe('private RabbitMQ nodes whose test runner died', () => {
  it("are killed by the next run's sweep, and a live runner's node is left alone", async () => {
    const node = await PrivateBroker.start();
    try {
      const vm = Number((await node.ctl('eval', 'list_to_integer(os:getpid()).')).trim());
      // Its runner (this process) is alive: the sweep does not touch it.
      await sweepOrphanedBrokers();
      expect(alive(vm)).toBe(true);
      expect(await node.ctl('eval', '1 + 1.')).toContain('2');
      // Now as if started by a runner that is gone (the pid of a process that has exited).
      const gone = spawnSync('true').pid;
      expect(alive(gone)).toBe(false);
      await writeFile(join(node.dir, 'owner.pid'), String(gone));
      expect(await sweepOrphanedBrokers()).toBeGreaterThanOrEqual(1);
      await expect.poll(() => alive(vm), { timeout: 10_000 }).toBe(false);
      expect(existsSync(node.dir)).toBe(false);
    } finally {
      await node.dispose({ kill: true });
    }
  }, 120_000);
});
