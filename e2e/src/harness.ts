// Runs the real Sagaport processes (orchestrator, workers) on a fresh database and a prefixed topology.
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { products } from '@sagaport/db';
import { createMigratedTestDatabase, type MigratedTestDatabase } from '@sagaport/db/testing';
import { brokerUrls, buildTopology, deleteTopology, type Topology } from '@sagaport/rabbitmq';
import { amqpUrl, connectAdmin } from '@sagaport/rabbitmq/testing';

const repo = fileURLToPath(new URL('../../', import.meta.url));
/** The retry tiers every e2e system runs with (RETRY_TIERS). */
const retryTiers = [
  { name: '200ms', delayMs: 200 },
  { name: '500ms', delayMs: 500 },
];
const entryPoints = {
  orchestrator: `${repo}orchestrator/dist/main.js`,
  workers: `${repo}workers/dist/main.js`,
  projectionsCli: `${repo}orchestrator/dist/projections/cli.js`,
  sagasRebuildCli: `${repo}orchestrator/dist/saga/rebuild-cli.js`,
} as const;

/** How a command-line run ended: its exit code and its output lines. */
export interface CommandRun {
  readonly code: number | null;
  readonly stdout: string[];
  readonly stderr: string;
}

/** A free TCP port on loopback. */
/** Ports this process handed out: the kernel may offer a port again once its probe closed. */
const handedOut = new Set<number>();

/** Binds `port` (0: any) on loopback and closes it again; the port it got. */
function probePort(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

/** A loopback port free now, never one this process handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await probePort(0);
    if (handedOut.has(port)) continue;
    handedOut.add(port);
    return port;
  }
}

/**
 * A loopback port free now, below the kernel's ephemeral range, for a listener that opens later
 * (an inspector on SIGUSR1): no `listen(0)` and no outgoing connection of any process takes it
 * meanwhile, as one of the ephemeral range could be.
 */
export async function freePortBelowEphemeral(): Promise<number> {
  const [first] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number);
  const top = Math.min(first ?? 32_768, 32_768);
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = 10_000 + Math.floor(Math.random() * (top - 10_000));
    if (handedOut.has(port)) continue;
    const free = await probePort(port).then(
      () => true,
      () => false,
    );
    if (!free) continue;
    handedOut.add(port);
    return port;
  }
  throw new Error('no free port below the ephemeral range after 100 tries');
}

export interface Product {
  readonly sku: string;
  readonly priceCents: number;
  readonly available: number;
}

export interface SystemOptions {
  readonly catalogue: readonly Product[];
  /** Extra environment for every process (fault injection, timeouts). */
  readonly env?: Record<string, string>;
  /** Extra Node.js options for every process (`--cpu-prof`, …). */
  readonly nodeArgs?: readonly string[];
  /** The broker (a `PrivateBroker`'s url, or several comma-separated); AMQP_URL's by default. */
  readonly amqpUrl?: string;
  /** The PostgreSQL server (a `PrivatePostgres`'s url); DATABASE_URL's by default. */
  readonly databaseServerUrl?: string;
}

/** One running process of the system, restartable after a kill. */
export class ManagedProcess {
  private child: ChildProcess | undefined;
  readonly output: string[] = [];

  constructor(
    readonly name: string,
    private readonly args: string[],
    private readonly env: Record<string, string>,
    readonly port: number,
    /** Port of this process's /metrics (the orchestrator serves them apart from its API port). */
    readonly metricsPort: number = port,
  ) {}

  async start(): Promise<void> {
    this.child = spawn(process.execPath, this.args, {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    // E2E_LOG_DIR keeps every process's whole output (a failing test prints only its last lines).
    const keep = (chunk: Buffer) => {
      if (process.env.E2E_LOG_DIR) appendFileSync(`${process.env.E2E_LOG_DIR}/${this.name}.log`, chunk);
      this.output.push(chunk.toString());
      if (this.output.length > 200) this.output.shift();
    };
    this.child.stdout?.on('data', keep);
    this.child.stderr?.on('data', keep);
    await this.waitReady();
  }

  /** The operating-system process id while it runs. */
  get pid(): number | undefined {
    return this.exited ? undefined : this.child?.pid;
  }

  /** Whether the process has exited (crashed, killed or stopped). */
  get exited(): boolean {
    return !this.child || this.child.exitCode !== null || this.child.signalCode !== null;
  }

  /**
   * Sums the samples of counter `name` on this process's /metrics whose labels include `labels`
   * (`{ queue: '…' }`), so a test can tell which process did the work.
   */
  async metric(name: string, labels: Record<string, string> = {}): Promise<number> {
    const text = await (await fetch(`http://127.0.0.1:${this.metricsPort}/metrics`)).text();
    let sum = 0;
    for (const line of text.split('\n')) {
      const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
      if (!match || match[1] !== name) continue;
      const found = new Map(
        [...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1]!, m[2]!] as const),
      );
      if (Object.entries(labels).every(([key, value]) => found.get(key) === value)) sum += Number(match[3]);
    }
    return sum;
  }

  /** Sends `signal` (SIGSTOP, SIGCONT, …) without waiting for anything. */
  signal(signal: NodeJS.Signals): void {
    if (!this.exited) this.child?.kill(signal);
  }

  /** Kills the process without warning (SIGKILL) and waits until it is gone. */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.child;
    // A process killed by a signal keeps exitCode null and sets signalCode instead.
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  }

  private async waitReady(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (this.child && (this.child.exitCode !== null || this.child.signalCode !== null)) {
        const code = this.child.exitCode ?? this.child.signalCode;
        throw new Error(`${this.name} exited with ${code}:\n${this.output.join('')}`);
      }
      try {
        const response = await fetch(`http://127.0.0.1:${this.port}/readyz`);
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} not ready after ${timeoutMs} ms:\n${this.output.join('')}`);
  }
}

/** The whole system on its own database and topology prefix. */
export class System {
  readonly processes: ManagedProcess[] = [];
  /** The exchanges and queues the processes declare and use. */
  readonly topology: Topology;
  private constructor(
    readonly database: MigratedTestDatabase,
    readonly prefix: string,
    readonly env: Record<string, string>,
    private readonly nodeArgs: readonly string[] = [],
    /** The broker the processes use. */
    readonly amqpUrl: string = amqpUrl,
  ) {
    this.topology = buildTopology({ prefix, retryTiers });
  }

  static async create(options: SystemOptions): Promise<System> {
    const database = await createMigratedTestDatabase(4, 'sagaport-e2e', options.databaseServerUrl);
    await database.db
      .insert(products)
      .values(options.catalogue.map((p) => ({ ...p, name: `Product ${p.sku}`, currency: 'EUR' })));
    const prefix = `e2e-${randomUUID()}.`;
    const env = {
      DATABASE_URL: database.url,
      AMQP_URL: options.amqpUrl ?? amqpUrl,
      TOPOLOGY_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      RETRY_TIERS: retryTiers.map((t) => t.name).join(','),
      STEP_TIMEOUT_MS: '5000',
      TIMEOUT_SCAN_INTERVAL_MS: '500',
      ...options.env,
    };
    return new System(database, prefix, env, options.nodeArgs, options.amqpUrl ?? amqpUrl);
  }

  /** Starts the orchestrator (API and metrics on their own ports); it declares the topology. */
  async startOrchestrator(env: Record<string, string> = {}): Promise<ManagedProcess> {
    const port = await freePort();
    const metricsPort = await freePort();
    const process = new ManagedProcess(
      'orchestrator',
      [...this.nodeArgs, entryPoints.orchestrator],
      { ...this.env, ...env, PORT: String(port), METRICS_PORT: String(metricsPort) },
      port,
      metricsPort,
    );
    await process.start();
    this.processes.push(process);
    return process;
  }

  /** Starts one workers process running `names` (all four when empty). */
  async startWorkers(names: string[] = [], env: Record<string, string> = {}): Promise<ManagedProcess> {
    const port = await freePort();
    const process = new ManagedProcess(
      `workers ${names.join(',') || 'all'}`,
      [...this.nodeArgs, entryPoints.workers, ...names],
      { ...this.env, ...env, METRICS_PORT: String(port) },
      port,
    );
    await process.start();
    this.processes.push(process);
    return process;
  }

  /** Runs `npm run projections -- <args>` (built) against the system; `onLine` sees each output line as it comes. */
  runProjectionsCli(args: readonly string[], onLine?: (line: string) => void): Promise<CommandRun> {
    return this.runCli(entryPoints.projectionsCli, args, onLine);
  }

  /** Runs `npm run sagas:rebuild -- <args>` (built) against the system. */
  runSagasRebuild(args: readonly string[] = []): Promise<CommandRun> {
    return this.runCli(entryPoints.sagasRebuildCli, args);
  }

  private runCli(
    entry: string,
    args: readonly string[],
    onLine?: (line: string) => void,
  ): Promise<CommandRun> {
    const child = spawn(process.execPath, [entry, ...args], {
      env: { ...process.env, ...this.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const stdout: string[] = [];
    let stderr = '';
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const lines = (partial + chunk.toString('utf8')).split('\n');
      partial = lines.pop() ?? '';
      for (const line of lines) {
        stdout.push(line);
        onLine?.(line);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString('utf8')));
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => {
        if (partial) stdout.push(partial);
        resolve({ code, stdout, stderr });
      });
    });
  }

  /** A plain connection to the system's broker: the first of its nodes that answers. */
  async connectAdmin(timeoutMs = 60_000): Promise<Awaited<ReturnType<typeof connectAdmin>>> {
    const urls = brokerUrls(this.amqpUrl);
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      for (const url of urls) {
        try {
          return await connectAdmin(0, url.replace(/\?.*$/, ''));
        } catch (error) {
          if (Date.now() > deadline) throw error;
        }
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  }

  /**
   * What a failed test needs to tell where the system stopped: each process (exited or not, with
   * the tail of its output), the unfinished sagas by status and step, and every queue's ready
   * messages and consumers. Never throws: a part it cannot read says why.
   */
  async diagnose(): Promise<string> {
    const lines: string[] = [];
    for (const p of this.processes) {
      lines.push(`--- ${p.name} (pid ${p.pid ?? '-'}, ${p.exited ? 'EXITED' : 'running'}), last output:`);
      lines.push(p.output.slice(-40).join('').trimEnd() || '(none)');
    }
    try {
      const rows = await this.database.sql<{ status: string; step: string | null; n: number }[]>`
        select status, current_step as step, count(*)::int as n from saga.instances
        group by 1, 2 order by 3 desc`;
      lines.push(
        `--- sagas: ${rows.map((r) => `${r.status}/${r.step ?? '-'}: ${r.n}`).join(', ') || 'none'}`,
      );
    } catch (error) {
      lines.push(`--- sagas: unreadable (${String(error)})`);
    }
    const admin = await this.connectAdmin(5_000).catch((error: unknown) => String(error));
    if (typeof admin === 'string') lines.push(`--- queues: broker unreachable (${admin})`);
    else {
      const queueLines: string[] = [];
      for (const q of this.topology.declarations.queues) {
        const channel = await admin.createChannel();
        const found = await channel.checkQueue(q.name).catch((error: unknown) => String(error));
        queueLines.push(
          typeof found === 'string'
            ? `${q.name}: ${found}`
            : `${q.name}: ${found.messageCount} ready, ${found.consumerCount} consumers`,
        );
        await channel.close().catch(() => undefined);
      }
      await admin.close().catch(() => undefined);
      lines.push('--- queues:', ...queueLines);
    }
    return lines.join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.kill('SIGKILL')));
    // A private broker may be gone already (its test disposes it): nothing to delete there then.
    const admin = await this.connectAdmin(this.amqpUrl === amqpUrl ? 60_000 : 5_000).catch(() => undefined);
    if (admin) {
      const channel = await admin.createChannel();
      await deleteTopology(channel, this.topology);
      await admin.close();
    }
    await this.database.dispose();
  }
}
