import { describe, expect, it } from 'vitest';
import { PrivateBroker } from './testing.js';

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
