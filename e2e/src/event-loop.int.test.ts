// The event loop of a real process (the workers, then the orchestrator) blocked under checkout load
// by a busy loop run through its inspector, for twice the heartbeat and for past three heartbeats.
// What RabbitMQ does: it checks a connection once per heartbeat interval and closes it ("missed
// heartbeats from client") after two checks in a row saw no byte, so two to three intervals after
// the last byte. A block of twice the heartbeat is inside that bound only if the process sent
// something just before it and just after it: under a steady load it does, and the broker kept
// both connections in the runs that set these tests up; a process idle before the block (amqplib
// sends a heartbeat only after half an interval with nothing sent) adds up to an interval of
// silence, and then the broker closed the connection (three of four in those runs). Past three
// intervals it is always closed. Either way the process is connected again, subscribed, and
// nothing is lost. On a RabbitMQ node of this file's own.
import type { PrivateBroker } from '@sagaport/rabbitmq/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  expectBooksStraight,
  faultCatalogue,
  loadThroughFault,
  type RunningSystem,
  sleep,
  startFaultSystem,
  usePrivateBroker,
} from './fault-setup.js';
import { freePortBelowEphemeral, type ManagedProcess } from './harness.js';
import { blockEventLoop, inspectableOn } from './inspector.js';

const stock = faultCatalogue(700);
const heartbeatSeconds = 2;

/** The broker's connections of this system's processes: connection name → the connection's Erlang pid. */
async function connections(node: PrivateBroker): Promise<Map<string, string>> {
  const listing = await node.ctl('list_connections', '-q', '--no-table-headers', 'pid', 'client_properties');
  const found = new Map<string, string>();
  for (const line of listing.split('\n')) {
    const name = /sagaport-(?:orchestrator|workers)@[^"\s,}\]]+/.exec(line)?.[0];
    const pid = /^\s*(<[^>]+>)/.exec(line)?.[1];
    if (name && pid) found.set(name, pid);
  }
  return found;
}

/** The connection pid of `process`'s broker connection (its name ends with the process id or instance). */
function connectionOf(all: Map<string, string>, kind: 'orchestrator' | 'workers'): string | undefined {
  return [...all].find(([name]) => name.startsWith(`sagaport-${kind}@`))?.[1];
}

interface Block {
  readonly who: 'orchestrator' | 'workers';
  readonly blockedMs: number;
  readonly before: string | undefined;
  readonly after: string | undefined;
}

/** Blocks `process` for `ms`, then waits until it is connected again (its /readyz answers 200). */
async function blockAndWatch(
  node: PrivateBroker,
  who: 'orchestrator' | 'workers',
  process: ManagedProcess,
  inspectPort: number,
  ms: number,
): Promise<Block> {
  const before = connectionOf(await connections(node), who);
  const blockedMs = await blockEventLoop(process.pid!, inspectPort, ms);
  // Ready again means connected again, whether over the same connection or a new one.
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    const status = await fetch(`http://127.0.0.1:${process.metricsPort}/readyz`)
      .then((r) => r.status)
      .catch(() => 0);
    if (status === 200) break;
    await sleep(100);
  }
  await sleep(500);
  const after = connectionOf(await connections(node), who);
  return { who, blockedMs, before, after };
}

describe('the event loop blocked under load (private RabbitMQ node, real processes)', () => {
  const privateBroker = usePrivateBroker();
  let running: RunningSystem | undefined;
  afterEach(async () => {
    await running?.system.stop();
    running = undefined;
  });

  async function start() {
    const ports = { orchestrator: await freePortBelowEphemeral(), workers: await freePortBelowEphemeral() };
    running = await startFaultSystem(stock, {
      amqpUrl: `${privateBroker().url}?heartbeat=${heartbeatSeconds}`,
      orchestratorEnv: inspectableOn(ports.orchestrator),
      workersEnv: inspectableOn(ports.workers),
    });
    return { ...running, ports };
  }

  /** Blocks the workers, then the orchestrator, each for `ms`, during a load of checkouts. */
  async function blockBothUnderLoad(ms: number) {
    const { system, api, workers, ports } = await start();
    const node = privateBroker();
    const blocks: Block[] = [];
    const sagaIds = await loadThroughFault({ api }, stock, {
      concurrency: 2,
      paceMs: 250, // about 8 checkouts a second
      faultAfter: 12,
      fault: async () => {
        // The workers first, while the orchestrator goes on accepting checkouts and sending
        // commands; then the orchestrator, while the workers answer the backlog.
        blocks.push(await blockAndWatch(node, 'workers', workers, ports.workers, ms));
        blocks.push(await blockAndWatch(node, 'orchestrator', api, ports.orchestrator, ms));
      },
      retryForMs: 90_000,
    });
    console.info(`event loop blocked for ${ms} ms, ${sagaIds.length} checkouts: ${JSON.stringify(blocks)}`);
    expect(api.exited).toBe(false);
    expect(workers.exited).toBe(false);
    for (const block of blocks) {
      expect(block.blockedMs).toBeGreaterThanOrEqual(ms);
      expect(block.before, `${block.who} connected before the block`).toBeDefined();
      expect(block.after, `${block.who} connected after the block`).toBeDefined();
    }
    await expectBooksStraight(system, stock, sagaIds, 90_000);
    return blocks;
  }

  it('blocked for twice the heartbeat: connected again (over the same connection or a new one), nothing is lost', async () => {
    // Whether the broker closed the connection depends on where the block fell between its checks
    // (see the top of this file): both are right, a lost saga or a dead letter is not.
    await blockBothUnderLoad(2 * heartbeatSeconds * 1000);
  }, 240_000);

  it('blocked past three heartbeats: the broker closes the connection, the process reconnects, nothing is lost', async () => {
    const blocks = await blockBothUnderLoad(3.5 * heartbeatSeconds * 1000);
    for (const block of blocks) expect(block.after, `${block.who} reconnected`).not.toBe(block.before);
  }, 240_000);
});
