// Test support: a RabbitMQ node of a test's own (its own node name, ports and data directory), so a
// test can restart it, raise its alarms or stop it without touching the broker everyone shares.
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync, openSync } from 'node:fs';
import { chmod, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * Where `rabbitmq-server` and `rabbitmqctl` live. Debian's /usr/sbin scripts switch to the
 * `rabbitmq` user (and so to its Erlang cookie); the scripts under /usr/lib/rabbitmq/bin run as the
 * caller, which is what a private node needs. RABBITMQ_BIN_DIR overrides.
 */
function binDir(): string {
  const candidates = [process.env.RABBITMQ_BIN_DIR, '/usr/lib/rabbitmq/bin', '/usr/local/lib/rabbitmq/bin'];
  const found = candidates.find((dir) => dir && existsSync(join(dir, 'rabbitmq-server')));
  if (!found) {
    throw new Error(
      'cannot start a private RabbitMQ node: rabbitmq-server not found in /usr/lib/rabbitmq/bin; install RabbitMQ (apt-get install rabbitmq-server) or set RABBITMQ_BIN_DIR',
    );
  }
  return found;
}

/** A free TCP port on loopback. */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

let sequence = 0;
const running = new Set<PrivateBroker>();
// A test runner that dies must not leave nodes behind: kill what is still running on exit. The
// nodes run in process groups of their own, so an interrupt (Ctrl-C) does not reach them either:
// kill them then too, and end as the signal would have.
process.once('exit', () => {
  for (const broker of running) broker.killNow();
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    for (const broker of running) broker.killNow();
    process.kill(process.pid, signal);
  });
}

export interface PrivateBrokerOptions {
  /** Shared by every node of one cluster (they must agree); a new temp dir when absent. */
  readonly home?: string;
  /** Extra lines for rabbitmq.conf (new-style `key = value`). */
  readonly config?: readonly string[];
}

/**
 * One RabbitMQ node started by a test: node `sagaport-fault-<pid>-<n>@localhost`, AMQP, and
 * distribution ports picked free, data and logs in a temp dir, no plugins. `dispose()` shuts it
 * down and removes its files.
 */
export class PrivateBroker {
  private child: ChildProcess | undefined;
  private constructor(
    readonly nodeName: string,
    readonly amqpPort: number,
    readonly distPort: number,
    readonly dir: string,
    /** HOME for the node and its CLI: holds the Erlang cookie they share. */
    readonly home: string,
    private readonly ownsHome: boolean,
  ) {}

  /** amqp URL of this node (guest/guest; loopback only). */
  get url(): string {
    return `amqp://guest:guest@127.0.0.1:${this.amqpPort}`;
  }

  static async start(options: PrivateBrokerOptions = {}): Promise<PrivateBroker> {
    const bin = binDir();
    const dir = await mkdtemp(join(tmpdir(), 'sagaport-broker-'));
    let home = options.home;
    const ownsHome = home === undefined;
    if (home === undefined) home = await createBrokerHome(dir);
    sequence += 1;
    const nodeName = `sagaport-fault-${process.pid}-${sequence}@localhost`;
    const amqpPort = await freeLoopbackPort();
    const distPort = await freeLoopbackPort();
    const broker = new PrivateBroker(nodeName, amqpPort, distPort, dir, home, ownsHome);
    await writeFile(join(dir, 'enabled_plugins'), '[].\n');
    await writeFile(
      join(dir, 'rabbitmq.conf'),
      [
        `listeners.tcp.default = 127.0.0.1:${amqpPort}`,
        'loopback_users = none',
        // A test's node lives in /tmp; do not let a nearly full disk raise the disk alarm.
        'disk_free_limit.absolute = 50MB',
        ...(options.config ?? []),
        '',
      ].join('\n'),
    );
    await writeFile(join(dir, 'rabbitmq-env.conf'), '');
    // Who started the node: a later run sweeps the nodes of a runner that died without stopping them.
    await writeFile(join(dir, OWNER_FILE), String(process.pid));
    await broker.launch(bin);
    running.add(broker);
    return broker;
  }

  private env(): NodeJS.ProcessEnv {
    const dir = this.dir;
    return {
      ...process.env,
      HOME: this.home,
      RABBITMQ_NODENAME: this.nodeName,
      RABBITMQ_NODE_PORT: String(this.amqpPort),
      RABBITMQ_DIST_PORT: String(this.distPort),
      RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
      RABBITMQ_LOG_BASE: join(dir, 'log'),
      RABBITMQ_PID_FILE: join(dir, 'pid'),
      RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
      RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
      RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
      RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    };
  }

  private async launch(bin: string): Promise<void> {
    const out = openSync(join(this.dir, 'server.out'), 'a');
    this.child = spawn(join(bin, 'rabbitmq-server'), [], {
      env: this.env(),
      // Erlang writes crash dumps (MnesiaCore.*) to its working directory: keep them in the temp dir.
      cwd: this.dir,
      stdio: ['ignore', out, out],
      // `rabbitmq-server` is a script that runs the Erlang VM as its child: in a process group of
      // their own, a kill reaches the VM too (see `killGroup`), not only the script.
      detached: true,
    });
    try {
      await this.ctl('wait', '--timeout', '90', join(this.dir, 'pid'));
    } catch (error) {
      throw new Error(`private RabbitMQ node ${this.nodeName} did not start; see ${this.dir}/server.out`, {
        cause: error,
      });
    }
  }

  /** Runs `rabbitmqctl -n <this node>` with `args`; returns its standard output. */
  async ctl(...args: string[]): Promise<string> {
    const { stdout } = await run(join(binDir(), 'rabbitmqctl'), ['-n', this.nodeName, ...args], {
      env: this.env(),
      timeout: 120_000,
    });
    return stdout;
  }

  /** Stops the RabbitMQ application (every connection drops); the Erlang node keeps running. */
  async stopApp(): Promise<void> {
    await this.ctl('stop_app');
  }

  /** Starts the application again and waits until it accepts connections. */
  async startApp(): Promise<void> {
    await this.ctl('start_app');
    await this.ctl('await_startup');
  }

  /** `stop_app`, `downMs` of nothing, `start_app`. */
  async restartApp(downMs: number): Promise<void> {
    await this.stopApp();
    try {
      await new Promise((r) => setTimeout(r, downMs));
    } finally {
      await this.startApp();
    }
  }

  /** Raises the memory alarm (a watermark of 0): the node blocks every publishing connection. */
  async raiseMemoryAlarm(): Promise<void> {
    await this.ctl('set_vm_memory_high_watermark', '0');
  }

  /** Clears it (the default watermark again). */
  async clearMemoryAlarm(): Promise<void> {
    await this.ctl('set_vm_memory_high_watermark', '0.4');
  }

  /** Whether a memory alarm is in effect on this node. */
  async memoryAlarm(): Promise<boolean> {
    return (await this.ctl('eval', 'rabbit_alarm:get_alarms().')).includes('memory');
  }

  /** Kills the node at once (SIGKILL), as a machine that loses power would. */
  killNow(): void {
    // The group, even when the script has exited already: the VM may outlive it.
    if (this.child) killGroup(this.child);
  }

  /** Shuts the node down and waits until it has gone. */
  async shutdown(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    try {
      await this.ctl('shutdown');
    } catch {
      killGroup(child);
    }
    await exited;
  }

  /** Starts the node again after `shutdown()` or `killNow()`, on the same ports and data. */
  async restartNode(): Promise<void> {
    await this.launch(binDir());
  }

  /**
   * Shuts the node down (or, with `kill`, kills it: quicker, and the data goes anyway) and
   * removes its data, logs and (if it made it) its HOME.
   */
  async dispose({ kill = false }: { kill?: boolean } = {}): Promise<void> {
    const child = this.child;
    if (kill && child && child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((resolve) => child.once('exit', resolve));
      killGroup(child);
      await exited;
    }
    await this.shutdown().catch(() => this.killNow());
    running.delete(this);
    await rm(this.dir, { recursive: true, force: true });
    if (this.ownsHome) await rm(this.home, { recursive: true, force: true });
  }
}

/**
 * SIGKILLs the node's process group: the `rabbitmq-server` script and the Erlang VM it started
 * (killing the script alone leaves the VM running, holding its ports, with its files deleted).
 */
function killGroup(child: ChildProcess): void {
  try {
    process.kill(-child.pid!, 'SIGKILL');
  } catch {
    child.kill('SIGKILL'); // the group is gone already, or the node was started without one
  }
}

const OWNER_FILE = 'owner.pid';

/**
 * Kills the private nodes whose test runner is gone and removes their files; returns how many.
 * Every node writes the pid of the process that started it into its directory. A runner killed
 * outright (SIGKILL, an out-of-memory kill, a worker thread that never saw a signal) cannot stop
 * its nodes, which run in process groups of their own and would hold their ports and CPU for the
 * rest of the machine's life: the next test run sweeps them (a global setup). A node's processes
 * are found by the data directory in their environment (`RABBITMQ_MNESIA_BASE`), so nothing else
 * is touched, the shared `epmd` included. Linux only (it reads /proc); elsewhere it does nothing.
 */
export async function sweepOrphanedBrokers(parent: string = tmpdir()): Promise<number> {
  if (!existsSync('/proc/self/environ')) return 0;
  let swept = 0;
  for (const name of await readdir(parent)) {
    if (!name.startsWith('sagaport-broker-') || name.startsWith('sagaport-broker-home-')) continue;
    const dir = join(parent, name);
    const owner = Number(await readFile(join(dir, OWNER_FILE), 'utf8').catch(() => ''));
    if (!Number.isInteger(owner) || owner <= 0 || isAlive(owner)) continue;
    for (const pid of await processesWithEnv(`RABBITMQ_MNESIA_BASE=${join(dir, 'mnesia')}`)) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone meanwhile
      }
    }
    await rm(dir, { recursive: true, force: true });
    swept += 1;
  }
  return swept;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** The pids of the processes (other than `epmd`) whose environment holds exactly `entry`. */
async function processesWithEnv(entry: string): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const environ = await readFile(`/proc/${name}/environ`, 'latin1');
      if (!environ.split('\0').includes(entry)) continue;
      if ((await readFile(`/proc/${name}/comm`, 'utf8')).trim() === 'epmd') continue;
      found.push(Number(name));
    } catch {
      // exited meanwhile, or not ours to read
    }
  }
  return found;
}

/** A HOME with an Erlang cookie of its own, for the nodes of one test and their CLI. */
export async function createBrokerHome(parent?: string): Promise<string> {
  const home = await mkdtemp(join(parent ?? tmpdir(), 'sagaport-broker-home-'));
  const cookie = join(home, '.erlang.cookie');
  await writeFile(cookie, `SAGAPORTTEST${Math.random().toString(36).slice(2).toUpperCase()}`);
  await chmod(cookie, 0o400);
  return home;
}

/**
 * A cluster of `size` private nodes (one HOME, so one Erlang cookie): the first starts alone, the
 * others join it. `url` lists every node, comma-separated, as AMQP_URL takes them.
 */
export class PrivateCluster {
  private constructor(
    readonly nodes: readonly PrivateBroker[],
    private readonly home: string,
  ) {}

  static async start(size = 3): Promise<PrivateCluster> {
    const home = await createBrokerHome();
    const nodes = await Promise.all(Array.from({ length: size }, () => PrivateBroker.start({ home })));
    const [first, ...others] = nodes;
    for (const node of others) {
      await node.ctl('stop_app');
      await node.ctl('join_cluster', first!.nodeName);
      await node.startApp();
    }
    return new PrivateCluster(nodes, home);
  }

  get url(): string {
    return this.nodes.map((node) => node.url).join(',');
  }

  /** The node that leads quorum queue `queue`. */
  async leaderOf(queue: string): Promise<PrivateBroker> {
    for (const node of this.nodes) {
      try {
        const listing = await node.ctl('list_queues', '-q', '--no-table-headers', 'name', 'leader');
        const line = listing.split('\n').find((l) => l.split('\t')[0] === queue);
        const leader = line?.split('\t')[1]?.trim();
        const found = this.nodes.find((n) => n.nodeName === leader);
        if (found) return found;
      } catch {
        // that node is down: ask the next
      }
    }
    throw new Error(`no leader found for ${queue}`);
  }

  /** The nodes holding a replica of quorum queue `queue`. */
  async membersOf(queue: string): Promise<string[]> {
    const listing = await this.nodes[0]!.ctl('list_queues', '-q', '--no-table-headers', 'name', 'members');
    const line = listing.split('\n').find((l) => l.split('\t')[0] === queue);
    return [...(line ?? '').matchAll(/'?([\w.-]+@[\w.-]+)'?/g)].map((m) => m[1]!);
  }

  async dispose(): Promise<void> {
    // A cluster losing its members one by one waits on its quorum queues: kill them all at once.
    await Promise.all(this.nodes.map((node) => node.dispose({ kill: true })));
    await rm(this.home, { recursive: true, force: true });
  }
}
